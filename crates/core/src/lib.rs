//! Sans-IO protocol engine for Appwrite Realtime.
//!
//! No browser, no clock, no randomness: callers feed inputs with the current time and drain outputs.
