"""Use cases. Each public function opens exactly one transaction through the store,
writes exactly one audit event when it changes something, and returns plain values."""
