"""Plays the demo conversation against a running Warmline through its HTTP API and prints the
transcript: the bot answers, looks up an order, hands off, an agent works it and hands back, the
bot takes the routine tail and closes. docs/bot.md shows its output.

    make run                                          # in one terminal
    .venv/bin/warmline token create --role agent --name Kim --team general --team orders
    .venv/bin/python docs/demo_conversation.py http://127.0.0.1:8000 wls_...
"""

import json
import sys
import time

import httpx

if len(sys.argv) != 3:
    sys.exit(__doc__)
url, agent_token = sys.argv[1], sys.argv[2]
c = httpx.Client(base_url=url, timeout=30)
agent = {"Authorization": f"Bearer {agent_token}"}
assert c.put("/v1/agents/me/presence", json={"presence": "online"}, headers=agent).status_code == 200
started = c.post("/v1/conversations", json={"channel": "web"}).json()
cid, me = started["conversation_id"], {"Authorization": f"Bearer {started['customer_token']}"}
seen = 0


def show() -> None:
    global seen
    events = c.get(f"/v1/conversations/{cid}/events", headers=me).json()["events"]
    for e in events[seen:]:
        body = e.get("body") or {}
        if e["type"] == "customer_message":
            print(f"Customer: {body['text']}")
        elif e["type"] == "bot_message":
            print(f"Bot:      {body['text']}")
        elif e["type"] == "agent_message":
            print(f"Agent:    {body['text']}")
        elif e["type"] in ("escalated", "claimed", "handed_back", "closed"):
            print(f"          [{e['type']}]")
    seen = len(events)


def say(text: str) -> None:
    r = c.post(f"/v1/conversations/{cid}/messages", json={"text": text}, headers=me)
    assert r.status_code == 201, r.text
    show()


say("hi! how long do I have to return something?")
say("and is the return label free for silver members?")
say("where is my order? I'm Maya Thompson, maya.thompson@example.com")
say("I'd rather talk to a person about the replacement")
claim = c.post(f"/v1/conversations/{cid}/claim", headers=agent)
assert claim.status_code == 200, claim.text
payload = c.get(f"/v1/conversations/{cid}/payload", headers=agent).json()["payload"]
show()
KIM = "Hi Maya, I'm Kim. I've sent a replacement of your Flannel Overshirt and socks by free express."
c.post(f"/v1/conversations/{cid}/agent-messages", json={"text": KIM}, headers=agent)
show()
NOTE = "Replacement for AB40317 shipped by free express"
c.post(f"/v1/conversations/{cid}/handback", json={"note": NOTE}, headers=agent)
time.sleep(0.5)
show()
say("great, what's the tracking number of my order?")
say("thanks, that's all")
print()
print("Payload the agent saw at pickup (excerpt):")
keep = {k: payload[k] for k in ("summary", "next_action", "account") if k in payload}
print(json.dumps(keep, indent=1)[:1500])
