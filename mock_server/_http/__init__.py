"""Internal: the aiohttp layer. The app factory, the layers around every route, query
parsing, rendering, the journal, faults, the admin API and one module per operation.
Nothing outside mock_server may import this package."""
