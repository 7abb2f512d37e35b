"""What must never leave the service in clear: credentials in logs, card numbers and one-time
codes customers paste into chats."""
