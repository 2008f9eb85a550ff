"""Internal: what the fake SMS Partner platform knows and decides, without HTTP.

The store of messages and its outbox, the clock, the delivery lifecycle, phone numbers,
dates, the account and its credits, and the one decision engine that picks a control code.
Nothing here imports aiohttp; nothing outside mock_server may import this package.
"""
