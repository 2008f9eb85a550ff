"""Internal: the aiohttp layer. The app factory, the mock's state (one MockState under one
app key), the layers around every route, query parsing, rendering, the memoised answers,
the journal, faults, the admin API, and operations/: the handler registry and one module
per operation. Nothing outside mock_server may import this package."""
