"""Plugins shipped with Flowledger, each registered through the
``flowledger.plugins`` entry-point group."""
