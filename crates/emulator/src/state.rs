//! In-memory state: projects with their users, sessions, data, and the live
//! connections with their subscriptions. One mutex guards it all; nothing awaits
//! while holding it.

use crate::config::{Config, ServerVersion};
use crate::events::DatabaseType;
use crate::ids;
use crate::permissions::{self, RoleSource};
use crate::protocol;
use crate::queries::Filter;
use base64::Engine;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};

pub const CONSOLE_PROJECT: &str = "console";
/// Appwrite's JWT lifetime.
const JWT_LIFETIME: Duration = Duration::from_secs(900);
/// Appwrite's default session length (one year).
const SESSION_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub password: String,
    pub email_verification: bool,
    pub phone_verification: bool,
    pub labels: Vec<String>,
    pub prefs: Map<String, Value>,
    /// False once blocked (`PATCH /v1/account/status`).
    pub status: bool,
    pub password_update: String,
}

impl User {
    pub fn new(id: String, email: String, password: String, name: String) -> User {
        let now = ids::now_timestamp();
        User {
            id,
            created_at: now.clone(),
            updated_at: now.clone(),
            password_update: now,
            status: true,
            name,
            email,
            phone: String::new(),
            password,
            email_verification: false,
            phone_verification: false,
            labels: Vec::new(),
            prefs: Map::new(),
        }
    }

    /// The Account response model.
    pub fn account_json(&self) -> Value {
        json!({
            "$id": self.id,
            "$createdAt": self.created_at,
            "$updatedAt": self.updated_at,
            "name": self.name,
            "registration": self.created_at,
            "status": self.status,
            "labels": self.labels,
            "passwordUpdate": self.password_update,
            "email": self.email,
            "phone": self.phone,
            "emailVerification": self.email_verification,
            "phoneVerification": self.phone_verification,
            "mfa": false,
            "prefs": self.prefs,
            "targets": [],
            "accessedAt": self.updated_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub secret: String,
    pub created_at: String,
    pub expires: SystemTime,
}

impl Session {
    pub fn model_json(&self, include_secret: bool) -> Value {
        json!({
            "$id": self.id,
            "$createdAt": self.created_at,
            "$updatedAt": self.created_at,
            "userId": self.user_id,
            "expire": ids::format_timestamp(self.expires),
            "provider": "email",
            "providerUid": "",
            "providerAccessToken": "",
            "providerAccessTokenExpiry": "",
            "providerRefreshToken": "",
            "ip": "127.0.0.1",
            "osCode": "",
            "osName": "",
            "osVersion": "",
            "clientType": "",
            "clientCode": "",
            "clientName": "",
            "clientVersion": "",
            "clientEngine": "",
            "clientEngineVersion": "",
            "deviceName": "",
            "deviceBrand": "",
            "deviceModel": "",
            "countryCode": "--",
            "countryName": "Unknown",
            "current": true,
            "factors": ["password"],
            "secret": if include_secret { self.secret.as_str() } else { "" },
            "mfaUpdatedAt": "",
        })
    }

    /// The cookie / `X-Appwrite-Session` value: base64 of `{"id","secret"}`.
    pub fn token(&self) -> String {
        let inner = json!({"id": self.user_id, "secret": self.secret}).to_string();
        base64::engine::general_purpose::STANDARD.encode(inner)
    }
}

#[derive(Debug, Clone)]
pub struct Jwt {
    pub user_id: String,
    pub session_id: String,
    pub expires: SystemTime,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub sequence: u64,
    pub created_at: String,
    pub updated_at: String,
    pub permissions: Vec<String>,
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Collection {
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    pub permissions: Vec<String>,
    pub document_security: bool,
    pub documents: IndexMap<String, Document>,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub kind: DatabaseType,
    pub collections: IndexMap<String, Collection>,
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub permissions: Vec<String>,
    pub file_security: bool,
    /// File models, keyed by id.
    pub files: IndexMap<String, Map<String, Value>>,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone)]
pub struct Membership {
    pub id: String,
    pub team_id: String,
    pub user_id: String,
    pub roles: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub confirm: bool,
}

#[derive(Debug, Clone)]
pub struct Presence {
    pub user_id: String,
    pub document: Map<String, Value>,
}

#[derive(Debug, Default, Clone)]
pub struct Project {
    pub users: IndexMap<String, User>,
    pub sessions: IndexMap<String, Session>,
    pub jwts: HashMap<String, Jwt>,
    pub databases: IndexMap<String, Database>,
    pub buckets: IndexMap<String, Bucket>,
    pub teams: IndexMap<String, Team>,
    pub memberships: IndexMap<String, Membership>,
    pub executions: IndexMap<String, Map<String, Value>>,
    pub presences: IndexMap<String, Presence>,
    pub next_sequence: u64,
}

impl Project {
    pub fn next_sequence(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }

    /// Connection roles for a user (`User::getRoles`); unknown users are guests.
    pub fn roles_for(&self, user_id: &str) -> Vec<String> {
        let Some(user) = self.users.get(user_id) else {
            return permissions::guest_roles();
        };
        let memberships = self
            .memberships
            .values()
            .filter(|membership| membership.user_id == user_id && membership.confirm)
            .map(|membership| {
                (
                    membership.team_id.as_str(),
                    membership.id.as_str(),
                    membership.roles.as_slice(),
                )
            })
            .collect();
        permissions::user_roles(&RoleSource {
            user_id,
            verified: user.email_verification || user.phone_verification,
            labels: &user.labels,
            memberships,
        })
    }

    /// A user that exists and is not blocked.
    pub fn is_active(&self, user_id: &str) -> bool {
        self.users.get(user_id).is_some_and(|user| user.status)
    }

    /// Resolves a session value (base64 `{"id","secret"}`) to its user, or `None`
    /// for anything malformed, unknown or expired.
    pub fn user_for_session_value(&self, value: &str) -> Option<String> {
        let (user_id, secret) = decode_session_value(value)?;
        self.user_for_session(&user_id, &secret)
    }

    /// The user owning an unexpired session with this secret.
    pub fn user_for_session(&self, user_id: &str, secret: &str) -> Option<String> {
        let user_id = user_id.to_string();
        let now = SystemTime::now();
        self.sessions
            .values()
            .any(|session| {
                session.user_id == user_id && session.secret == secret && session.expires > now
            })
            .then_some(user_id)
            .filter(|user_id| self.users.contains_key(user_id))
    }

    pub fn create_session(&mut self, user_id: &str) -> Session {
        let session = Session {
            id: ids::unique_id(),
            user_id: user_id.to_string(),
            secret: ids::random_hex(64),
            created_at: ids::now_timestamp(),
            expires: SystemTime::now() + SESSION_LIFETIME,
        };
        self.sessions.insert(session.id.clone(), session.clone());
        session
    }

    pub fn create_jwt(&mut self, user_id: &str, session_id: &str) -> String {
        let token = format!("emulator-jwt.{}", ids::random_hex(48));
        self.jwts.insert(
            token.clone(),
            Jwt {
                user_id: user_id.to_string(),
                session_id: session_id.to_string(),
                expires: SystemTime::now() + JWT_LIFETIME,
            },
        );
        token
    }

    /// `Ok(Some(user))` for a valid JWT of an active session, `Ok(None)` when the
    /// session has ended, `Err(reason)` when the token itself is bad.
    pub fn user_for_jwt(&self, token: &str) -> Result<Option<String>, &'static str> {
        let jwt = self.jwts.get(token).ok_or("Invalid token")?;
        if jwt.expires <= SystemTime::now() {
            return Err("Expired token");
        }
        let session_active = self.sessions.contains_key(&jwt.session_id);
        Ok((session_active && self.users.contains_key(&jwt.user_id)).then(|| jwt.user_id.clone()))
    }
}

/// Decodes a session value leniently, like PHP's `base64_decode` + `json_decode`.
pub fn decode_session_value(value: &str) -> Option<(String, String)> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let value = value.trim();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(value).ok())?;
    let decoded: Value = serde_json::from_slice(&bytes).ok()?;
    let id = decoded.get("id")?.as_str()?.to_string();
    let secret = decoded.get("secret")?.as_str()?.to_string();
    (!id.is_empty()).then_some((id, secret))
}

/// A subscription's filter on one channel, with the query strings it was built from.
#[derive(Debug, Clone)]
pub struct StoredFilter {
    pub strings: Vec<String>,
    pub filter: Filter,
}

/// At most this many frames and commands wait for one socket.
pub const OUTBOUND_QUEUE_FRAMES: usize = 1024;
/// At most this many bytes of frames wait for one socket.
pub const OUTBOUND_QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// The sending side of a connection's outbound queue. The queue is bounded (frames and
/// bytes); a connection whose queue is full has fallen behind and is dropped, as a real
/// server drops a client whose output buffer overflows.
#[derive(Debug)]
pub struct Outbox {
    sender: mpsc::Sender<ConnectionCommand>,
    queued_bytes: Arc<AtomicUsize>,
    fallen_behind: watch::Sender<bool>,
}

/// The connection task's side of the queue.
#[derive(Debug)]
pub struct OutboxReceiver {
    receiver: mpsc::Receiver<ConnectionCommand>,
    queued_bytes: Arc<AtomicUsize>,
    fallen_behind: watch::Receiver<bool>,
}

pub fn outbox() -> (Outbox, OutboxReceiver) {
    let (sender, receiver) = mpsc::channel(OUTBOUND_QUEUE_FRAMES);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let (fallen_behind, watcher) = watch::channel(false);
    (
        Outbox {
            sender,
            queued_bytes: queued_bytes.clone(),
            fallen_behind,
        },
        OutboxReceiver {
            receiver,
            queued_bytes,
            fallen_behind: watcher,
        },
    )
}

impl Outbox {
    /// Queues a command without waiting. False when the connection is gone or has fallen
    /// behind (its task is then told to drop the socket).
    pub fn push(&self, command: ConnectionCommand) -> bool {
        if *self.fallen_behind.borrow() {
            return false;
        }
        let bytes = command.queued_bytes();
        let before = self.queued_bytes.fetch_add(bytes, Ordering::SeqCst);
        let outcome = if before + bytes > OUTBOUND_QUEUE_BYTES {
            Err(true)
        } else {
            match self.sender.try_send(command) {
                Ok(()) => Ok(()),
                Err(mpsc::error::TrySendError::Full(_)) => Err(true),
                Err(mpsc::error::TrySendError::Closed(_)) => Err(false),
            }
        };
        match outcome {
            Ok(()) => true,
            Err(full) => {
                self.queued_bytes.fetch_sub(bytes, Ordering::SeqCst);
                if full {
                    self.fallen_behind.send_replace(true);
                }
                false
            }
        }
    }

    /// Bytes of frames waiting.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::SeqCst)
    }

    pub fn has_fallen_behind(&self) -> bool {
        *self.fallen_behind.borrow()
    }
}

impl OutboxReceiver {
    pub async fn recv(&mut self) -> Option<ConnectionCommand> {
        let command = self.receiver.recv().await?;
        self.queued_bytes
            .fetch_sub(command.queued_bytes(), Ordering::SeqCst);
        Some(command)
    }

    /// The next command already queued, without waiting.
    pub fn try_recv(&mut self) -> Option<ConnectionCommand> {
        let command = self.receiver.try_recv().ok()?;
        self.queued_bytes
            .fetch_sub(command.queued_bytes(), Ordering::SeqCst);
        Some(command)
    }

    /// A handle that resolves once the queue overflowed (usable while `recv` is borrowed).
    pub fn overflow_signal(&self) -> OverflowSignal {
        OverflowSignal(self.fallen_behind.clone())
    }
}

/// See [`OutboxReceiver::overflow_signal`].
#[derive(Debug)]
pub struct OverflowSignal(watch::Receiver<bool>);

impl OverflowSignal {
    /// Resolves once the queue overflowed; never when the connection record is gone.
    pub async fn fallen_behind(&mut self) {
        if self.0.wait_for(|behind| *behind).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// What a connection task is told to do.
#[derive(Debug)]
pub enum ConnectionCommand {
    Frame(String),
    /// Drop TCP without a close frame.
    Drop,
    /// Stop answering and sending; `None` means until resumed.
    Silence(Option<Duration>),
    Resume,
}

impl ConnectionCommand {
    fn queued_bytes(&self) -> usize {
        match self {
            ConnectionCommand::Frame(frame) => frame.len(),
            _ => 0,
        }
    }
}

#[derive(Debug)]
pub struct Connection {
    pub id: u64,
    pub project: String,
    pub ip: String,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    /// False once the server forgot the connection (auth quirk): every message but
    /// `ping` then gets 1008.
    pub has_project_context: bool,
    /// subscription id → channel → filter (additive across re-subscribes, §5.4).
    pub subscriptions: IndexMap<String, IndexMap<String, StoredFilter>>,
    pub presences: Vec<String>,
    pub outbox: Outbox,
}

impl Connection {
    pub fn describe(&self) -> Value {
        let subscriptions: Vec<Value> = self
            .subscriptions
            .iter()
            .map(|(id, channels)| {
                let queries = channels.values().next().map(|stored| stored.strings.clone()).unwrap_or_default();
                json!({
                    "id": id,
                    "channels": channels.keys().collect::<Vec<_>>(),
                    "queries": queries,
                    "queriesByChannel": channels.iter().map(|(channel, stored)| (channel.clone(), json!(stored.strings))).collect::<Map<String, Value>>(),
                })
            })
            .collect();
        json!({
            "id": self.id,
            "project": self.project,
            "ip": self.ip,
            "user": self.user_id,
            "roles": self.roles,
            "projectContext": self.has_project_context,
            "subscriptions": subscriptions,
            "presences": self.presences,
            "queuedBytes": self.outbox.queued_bytes(),
        })
    }
}

/// An event to deliver, as the API publishes it to the realtime workers.
#[derive(Debug, Clone)]
pub struct Publication {
    pub project: String,
    pub events: Vec<String>,
    pub channels: Vec<String>,
    pub roles: Vec<String>,
    pub payload: Value,
    /// Membership/team changes: recompute this user's connection roles first.
    pub permissions_changed_for: Option<String>,
}

pub struct State {
    pub projects: HashMap<String, Project>,
    pub connections: IndexMap<u64, Connection>,
    next_connection_id: u64,
    /// (ip → (window start, accepted connects)).
    connect_windows: HashMap<IpAddr, (u64, u32)>,
    pub refuse_until: Option<Instant>,
}

impl State {
    pub fn new(config: &Config) -> State {
        let mut projects: HashMap<String, Project> = HashMap::new();
        projects.insert(CONSOLE_PROJECT.to_string(), Project::default());
        for project in &config.projects {
            projects.insert(project.clone(), Project::default());
        }
        let mut state = State {
            projects,
            connections: IndexMap::new(),
            next_connection_id: 1,
            connect_windows: HashMap::new(),
            refuse_until: None,
        };
        if config.seed_demo {
            state.seed_demo(config);
        }
        state
    }

    /// A database `main` with a collection `posts` readable by anyone, and a demo user.
    fn seed_demo(&mut self, config: &Config) {
        let project_id = config
            .projects
            .first()
            .cloned()
            .unwrap_or_else(|| "demo".to_string());
        let project = self.projects.entry(project_id).or_default();
        let user = User::new(
            "demo-user".to_string(),
            "demo@example.com".to_string(),
            "password123".to_string(),
            "Demo User".to_string(),
        );
        project.users.insert(user.id.clone(), user);
        let mut documents = IndexMap::new();
        let posts = [
            ("welcome", "Welcome to the emulator", "published"),
            (
                "realtime",
                "Realtime events flow from REST writes",
                "published",
            ),
            ("draft", "A draft post", "draft"),
        ];
        for (id, title, status) in posts {
            let now = ids::now_timestamp();
            let sequence = project.next_sequence();
            let mut data = Map::new();
            data.insert("title".into(), json!(title));
            data.insert("status".into(), json!(status));
            data.insert("likes".into(), json!(0));
            documents.insert(
                id.to_string(),
                Document {
                    id: id.to_string(),
                    sequence,
                    created_at: now.clone(),
                    updated_at: now,
                    permissions: vec![r#"read("any")"#.to_string()],
                    data,
                },
            );
        }
        let mut collections = IndexMap::new();
        collections.insert(
            "posts".to_string(),
            Collection {
                name: "Posts".to_string(),
                created_at: ids::now_timestamp(),
                updated_at: ids::now_timestamp(),
                // Guests of the demo and the tests create, edit and delete posts.
                permissions: crate::permissions::open_container(true),
                document_security: true,
                documents,
            },
        );
        project.databases.insert(
            "main".to_string(),
            Database {
                kind: DatabaseType::Legacy,
                collections,
            },
        );
    }

    pub fn project(&self, project_id: &str) -> Option<&Project> {
        self.projects.get(project_id)
    }

    pub fn project_mut(&mut self, project_id: &str) -> Option<&mut Project> {
        self.projects.get_mut(project_id)
    }

    /// Counts a connect attempt against the per-IP window; false when over the limit.
    pub fn accept_connect(&mut self, ip: IpAddr, limit: u32) -> bool {
        let window = current_window();
        let entry = self.connect_windows.entry(ip).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 += 1;
        true
    }

    pub fn register_connection(&mut self, mut connection: Connection) -> u64 {
        let id = self.next_connection_id;
        self.next_connection_id += 1;
        connection.id = id;
        self.connections.insert(id, connection);
        id
    }

    /// Forgets a connection and deletes its presences (each emitting `presences.<id>.delete`).
    pub fn close_connection(&mut self, connection_id: u64, version: ServerVersion) {
        let Some(connection) = self.connections.shift_remove(&connection_id) else {
            return;
        };
        for presence_id in &connection.presences {
            let removed = self
                .projects
                .get_mut(&connection.project)
                .and_then(|project| project.presences.shift_remove(presence_id));
            if let Some(presence) = removed {
                let names = crate::events::EventNames::from_pattern(
                    "presences.[presenceId].delete",
                    &[("presenceId", presence_id)],
                    &connection.project,
                );
                let permissions: Vec<String> = presence
                    .document
                    .get("$permissions")
                    .and_then(|value| serde_json::from_value(value.clone()).ok())
                    .unwrap_or_default();
                self.publish(
                    Publication {
                        project: connection.project.clone(),
                        events: names.events,
                        channels: names.channels,
                        roles: permissions::read_roles(&permissions),
                        payload: Value::Object(presence.document),
                        permissions_changed_for: None,
                    },
                    version,
                );
            }
        }
    }

    /// Drops (TCP, no close frame) every socket of a user, after what is already queued
    /// for it: a blocked user's sockets get the status event, then end.
    pub fn drop_user_connections(&mut self, project_id: &str, user_id: &str) -> usize {
        let mut dropped = 0;
        for connection in self.connections.values() {
            if connection.project == project_id && connection.user_id.as_deref() == Some(user_id) {
                connection.outbox.push(ConnectionCommand::Drop);
                dropped += 1;
            }
        }
        dropped
    }

    /// Recomputes roles of a user's connections (membership changes).
    pub fn refresh_roles(&mut self, project_id: &str, user_id: &str) {
        let Some(project) = self.projects.get(project_id) else {
            return;
        };
        let roles = project.roles_for(user_id);
        for connection in self.connections.values_mut() {
            if connection.project == project_id && connection.user_id.as_deref() == Some(user_id) {
                connection.roles = roles.clone();
            }
        }
    }

    /// Delivers one event: at most one frame per connection, listing every matching
    /// subscription of that connection once.
    pub fn publish(&mut self, publication: Publication, version: ServerVersion) -> usize {
        if let Some(user_id) = &publication.permissions_changed_for {
            self.refresh_roles(&publication.project, user_id);
        }
        if publication.channels.is_empty() || publication.roles.is_empty() {
            return 0;
        }
        let reaches_anyone = publication.roles.iter().any(|role| role == "any");
        let timestamp = ids::now_timestamp();
        let mut delivered = 0;
        for connection in self.connections.values() {
            if connection.project != publication.project || !connection.has_project_context {
                continue;
            }
            let role_allowed = reaches_anyone
                || connection
                    .roles
                    .iter()
                    .any(|role| publication.roles.contains(role));
            if !role_allowed {
                continue;
            }
            let matched: Vec<String> = connection
                .subscriptions
                .iter()
                .filter(|(_, channels)| {
                    publication.channels.iter().any(|channel| {
                        channels
                            .get(channel)
                            .is_some_and(|stored| stored.filter.matches(&publication.payload))
                    })
                })
                .map(|(id, _)| id.clone())
                .collect();
            if matched.is_empty() {
                continue;
            }
            let frame = protocol::event_frame(
                &publication.events,
                &publication.channels,
                &timestamp,
                &publication.payload,
                version.has_subscriptions().then_some(matched.as_slice()),
            );
            // False: the connection is going away, or fell behind and is being dropped.
            if connection.outbox.push(ConnectionCommand::Frame(frame)) {
                delivered += 1;
            }
        }
        delivered
    }
}

/// Start of the current wall-clock-aligned 60 s window, in seconds since the epoch.
pub fn current_window() -> u64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    seconds - seconds % 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_values_round_trip_and_reject_garbage() {
        let mut project = Project::default();
        let user = User::new("u1".into(), "a@b.c".into(), "pw".into(), "A".into());
        project.users.insert(user.id.clone(), user);
        let session = project.create_session("u1");
        assert_eq!(
            project.user_for_session_value(&session.token()),
            Some("u1".to_string())
        );
        assert_eq!(project.user_for_session_value("not base64!"), None);
        let wrong_secret =
            base64::engine::general_purpose::STANDARD.encode(r#"{"id":"u1","secret":"nope"}"#);
        assert_eq!(project.user_for_session_value(&wrong_secret), None);
    }

    #[test]
    fn jwt_lifecycle() {
        let mut project = Project::default();
        let user = User::new("u1".into(), "a@b.c".into(), "pw".into(), "A".into());
        project.users.insert(user.id.clone(), user);
        let session = project.create_session("u1");
        let token = project.create_jwt("u1", &session.id);
        assert_eq!(project.user_for_jwt(&token), Ok(Some("u1".to_string())));
        assert_eq!(project.user_for_jwt("bogus"), Err("Invalid token"));
        project.sessions.clear();
        assert_eq!(project.user_for_jwt(&token), Ok(None));
    }
}
