"""Background work: job functions (module-level, taking ids) that a queue or the
embedded runner executes, and the durable timers they serve."""
