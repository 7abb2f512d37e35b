import { LightningElement, api, wire } from "lwc";
import { getRecord, getFieldValue } from "lightning/uiRecordApi";

// The panel's JSON that Warmline writes on the Case; a Messaging Session reads its Case's.
const FIELDS = {
    Case: "Case.Warmline_Payload__c",
    MessagingSession: "MessagingSession.Case.Warmline_Payload__c"
};

export default class WarmlinePayload extends LightningElement {
    @api recordId;
    @api objectApiName;

    @wire(getRecord, { recordId: "$recordId", fields: "$fields" })
    record;

    get field() {
        return FIELDS[this.objectApiName] || FIELDS.Case;
    }

    get fields() {
        return [this.field];
    }

    get payload() {
        const data = this.record && this.record.data;
        const text = data ? getFieldValue(data, this.field) : null;
        if (!text) {
            return null;
        }
        try {
            return JSON.parse(text);
        } catch (e) {
            return null;
        }
    }

    get loaded() {
        return Boolean(this.record && (this.record.data || this.record.error));
    }

    get failed() {
        return Boolean(this.record && this.record.error);
    }

    get empty() {
        return this.loaded && !this.failed && !this.payload;
    }

    get hasPayload() {
        return Boolean(this.payload);
    }

    get summary() {
        return this.payload ? this.payload.summary : "";
    }

    get draft() {
        return (this.payload && this.payload.draft) || "No draft.";
    }

    get nextAction() {
        const next = (this.payload && this.payload.next_action) || {};
        return next.action || "No next action.";
    }

    get nextReasoning() {
        const next = (this.payload && this.payload.next_action) || {};
        return next.reasoning || "";
    }

    get citations() {
        const citations = (this.payload && this.payload.citations) || [];
        return citations.map((citation, index) => ({
            key: `${citation.article_id || "citation"}-${index}`,
            title: citation.title || citation.article_id,
            passage: citation.passage || ""
        }));
    }

    get hasCitations() {
        return this.citations.length > 0;
    }

    get sidebarUrl() {
        return this.payload ? this.payload.sidebar_url : "";
    }
}
