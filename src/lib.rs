//! Appwrite Realtime for the browser.
