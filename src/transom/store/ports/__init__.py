"""The store's ports, one protocol per aggregate; `transom.store.port.Transaction` combines
them. Each method's docstring is its contract, proved on every backend by `tests/store/`."""
