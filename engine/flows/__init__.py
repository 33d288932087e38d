"""Flow definitions (FlowSpec), flow instances and the pure step function."""
