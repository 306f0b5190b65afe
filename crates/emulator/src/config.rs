//! Runtime configuration (filled from the CLI, or directly by tests).

use std::path::PathBuf;

/// Which server generation to imitate (protocol.md §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServerVersion {
    /// <= 1.8: `channels[]` required, no queries, no `subscriptions` anywhere.
    V1_8,
    /// 1.9.0 – 1.9.4: `channels[]` required, URL slot queries, `subscriptions` present.
    V1_9_0,
    /// >= 1.9.5: message protocol (`subscribe`, `unsubscribe`, `presence`).
    Current,
}

impl ServerVersion {
    /// Accepts `1.8`, `1.8.1`, `1.9.0`, `1.9.6`, ….
    pub fn parse(text: &str) -> Result<ServerVersion, String> {
        let numbers: Result<Vec<u32>, _> = text.trim().split('.').map(str::parse::<u32>).collect();
        let numbers = numbers.map_err(|_| format!("invalid server version '{text}'"))?;
        let (major, minor, patch) = match numbers.as_slice() {
            [major, minor] => (*major, *minor, 0),
            [major, minor, patch] => (*major, *minor, *patch),
            _ => return Err(format!("invalid server version '{text}'")),
        };
        Ok(match (major, minor, patch) {
            (0, _, _) | (1, 0..=8, _) => ServerVersion::V1_8,
            (1, 9, 0..=4) => ServerVersion::V1_9_0,
            _ => ServerVersion::Current,
        })
    }

    pub fn has_message_protocol(self) -> bool {
        self == ServerVersion::Current
    }

    pub fn has_subscriptions(self) -> bool {
        self >= ServerVersion::V1_9_0
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Project ids that exist besides `console`.
    pub projects: Vec<String>,
    pub seed_demo: bool,
    pub static_root: Option<PathBuf>,
    /// Enables `/_emulator/…`.
    pub control: bool,
    /// `_APP_ENV=production`: error messages of code 0 / >= 500 become `Error: Server Error`.
    pub production: bool,
    /// `_APP_OPTIONS_ABUSE=enabled`: 128 connects/min/IP, 32 messages/min/connection.
    pub rate_limits: bool,
    /// When set, browser `Origin` hosts must be listed.
    pub allowed_origins: Option<Vec<String>>,
    pub server_version: ServerVersion,
    /// `--cors-origin`: origins (`scheme://host[:port]`) that get credentialed CORS and may
    /// drive the control surface, besides loopback ones; their hosts also pass the Host check.
    pub cors_origins: Vec<String>,
    /// `--host` as given; a name or specific address here passes the Host check.
    pub bind_host: Option<String>,
    /// Authenticating a connection without subscriptions drops its project context (§8 weakness 6).
    pub auth_without_subscriptions_quirk: bool,
    /// `--no-permissions`: REST reads and writes skip permission checks (realtime delivery
    /// still follows read permissions).
    pub no_permissions: bool,
    pub verbose: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            projects: vec!["demo".to_string()],
            seed_demo: false,
            static_root: None,
            control: false,
            production: false,
            rate_limits: false,
            allowed_origins: None,
            server_version: ServerVersion::Current,
            cors_origins: Vec::new(),
            bind_host: None,
            auth_without_subscriptions_quirk: false,
            no_permissions: false,
            verbose: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(ServerVersion::parse("1.8"), Ok(ServerVersion::V1_8));
        assert_eq!(ServerVersion::parse("1.8.1"), Ok(ServerVersion::V1_8));
        assert_eq!(ServerVersion::parse("1.9.0"), Ok(ServerVersion::V1_9_0));
        assert_eq!(ServerVersion::parse("1.9.5"), Ok(ServerVersion::Current));
        assert_eq!(ServerVersion::parse("2.0"), Ok(ServerVersion::Current));
        assert!(ServerVersion::parse("one").is_err());
    }
}
