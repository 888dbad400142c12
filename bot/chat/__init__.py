"""The chat-neutral conversation: messages as data, the /pmf grammar, clicks and forms."""
