"""Form definitions (FormSpec), field types, formulas and validation."""
