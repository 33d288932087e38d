"""The inventory ledger's pure logic: movements, balances, picking, valuation, invariants."""
