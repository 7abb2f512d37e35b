import { createElement } from "lwc";
import { getRecord } from "lightning/uiRecordApi";
import WarmlinePayload from "c/warmlinePayload";

const PANEL = {
    conversation_id: "cv_1",
    summary: "Ann wants a refund of a double charge.",
    draft: "Hi Ann, I have refunded the second charge.",
    next_action: { action: "Refund the duplicate charge", reasoning: "Step 2 of the refund procedure." },
    citations: [{ article_id: "kb-12", title: "Refunds for double charges", passage: "Refunds take 3 days.", score: 0.8 }],
    key_facts: [],
    sidebar_url: "https://warmline.example.com/sidebar?conversation=cv_1"
};

function record(objectApiName, value) {
    const field = { value, displayValue: null };
    if (objectApiName === "MessagingSession") {
        return { apiName: "MessagingSession", fields: { Case: { value: { apiName: "Case", fields: { Warmline_Payload__c: field } } } } };
    }
    return { apiName: "Case", fields: { Warmline_Payload__c: field } };
}

function mount(objectApiName) {
    const element = createElement("c-warmline-payload", { is: WarmlinePayload });
    element.recordId = "500D000000cq0000IAQ";
    element.objectApiName = objectApiName;
    document.body.appendChild(element);
    return element;
}

const text = (element, selector) => element.shadowRoot.querySelector(selector)?.textContent;

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
});

describe("c-warmline-payload", () => {
    it.each(["Case", "MessagingSession"])("shows summary, draft, next action and citations on a %s page", async (objectApiName) => {
        const element = mount(objectApiName);
        getRecord.emit(record(objectApiName, JSON.stringify(PANEL)));
        await Promise.resolve();
        expect(text(element, ".summary")).toBe(PANEL.summary);
        expect(text(element, ".draft")).toBe(PANEL.draft);
        expect(text(element, ".next-action")).toBe("Refund the duplicate charge");
        expect(text(element, ".citations li strong")).toBe("Refunds for double charges");
    });

    it("asks for the field of the page's object", async () => {
        mount("MessagingSession");
        await Promise.resolve();
        expect(getRecord.getLastConfig()).toEqual({
            recordId: "500D000000cq0000IAQ",
            fields: ["MessagingSession.Case.Warmline_Payload__c"]
        });
    });

    it("says so when the record has no handoff, or cannot be read", async () => {
        const element = mount("Case");
        getRecord.emit(record("Case", null));
        await Promise.resolve();
        expect(text(element, ".status")).toBe("No Warmline handoff for this record.");
        getRecord.error();
        await Promise.resolve();
        expect(text(element, ".status")).toBe("The handoff could not be read.");
    });
});
