//! `Client` for Rust front ends: endpoint, project and credentials, shared with every
//! connection built from it. JS uses the `Client` class of `js/client.js`, which
//! `new Realtime(client)` reads like the official SDK's.

use std::rc::Rc;

use crate::config::{ClientConfig, Setting, SharedConfig};
use crate::error::RealtimeError;

/// Holds the endpoint, project and credentials. Setters return the client for chaining; the
/// returned value shares its settings with the original, so a later change reaches every
/// connection built from either.
///
/// ```no_run
/// use appwrite_realtime_wasm::{typed::Connection, Client, RealtimeError};
///
/// fn connect(session: &str) -> Result<Connection, RealtimeError> {
///     let client = Client::new()
///         .set_endpoint("https://cloud.appwrite.io/v1")?
///         .set_project("my-project");
///     let connection = Connection::new(&client);
///     // Signing in later re-authenticates the open socket in-band.
///     client.set_session(session);
///     Ok(connection)
/// }
/// ```
#[derive(Clone)]
pub struct Client {
    settings: Rc<SharedConfig>,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client for Appwrite Cloud (`https://cloud.appwrite.io/v1`) with no project yet.
    pub fn new() -> Client {
        Client {
            settings: SharedConfig::new(ClientConfig {
                endpoint_realtime: "wss://cloud.appwrite.io/v1".into(),
                ..ClientConfig::default()
            }),
        }
    }

    /// Sets the REST endpoint (`http://` or `https://`) and derives the realtime one from it.
    /// Live views ([`Connection::live`](crate::typed::Connection::live)) make their REST lists
    /// to it; without it, to the realtime endpoint with `ws(s)://` made `http(s)://`.
    pub fn set_endpoint(&self, endpoint: &str) -> Result<Client, RealtimeError> {
        let realtime = if let Some(rest) = endpoint.strip_prefix("https://") {
            ["wss://", rest].concat()
        } else if let Some(rest) = endpoint.strip_prefix("http://") {
            ["ws://", rest].concat()
        } else {
            return Err(invalid_endpoint("Invalid endpoint URL: ", endpoint));
        };
        self.settings.set_endpoint(endpoint);
        self.settings.set(Setting::EndpointRealtime(realtime));
        Ok(self.clone())
    }

    /// Sets the realtime endpoint (`ws://` or `wss://`) when it differs from the REST one.
    pub fn set_endpoint_realtime(&self, endpoint: &str) -> Result<Client, RealtimeError> {
        if !endpoint.starts_with("ws://") && !endpoint.starts_with("wss://") {
            return Err(invalid_endpoint(
                "Invalid realtime endpoint URL: ",
                endpoint,
            ));
        }
        self.settings
            .set(Setting::EndpointRealtime(endpoint.into()));
        Ok(self.clone())
    }

    /// The project id; every connection built from this client uses it.
    pub fn set_project(&self, project: &str) -> Client {
        self.settings.set(Setting::Project(project.into()));
        self.clone()
    }

    /// The session secret (base64 of `{"id","secret"}`). While connected, the connection
    /// re-authenticates in-band, without a new socket. `""` signs out.
    pub fn set_session(&self, session: &str) -> Client {
        self.settings.set(Setting::Session(session.into()));
        self.clone()
    }

    /// An account JWT, sent in the socket URL (`?jwt=`) on the next connection. `""` clears it.
    pub fn set_jwt(&self, jwt: &str) -> Client {
        self.settings.set(Setting::Jwt(jwt.into()));
        self.clone()
    }

    /// The settings connections built from this client read.
    pub(crate) fn settings(&self) -> Rc<SharedConfig> {
        self.settings.clone()
    }
}

fn invalid_endpoint(prefix: &str, endpoint: &str) -> RealtimeError {
    RealtimeError::invalid(&[prefix, endpoint].concat())
}
