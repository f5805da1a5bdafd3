//! Shared helpers for Glimpse's integration tests.
