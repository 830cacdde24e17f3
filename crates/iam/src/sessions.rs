//! Temporary credentials: the sessions STS's AssumeRole and GetSessionToken open, kept until
//! they expire on the installation's clock.
//!
//! Tables:
//! - `iam.sessions`: access key id (`ASIA…`) → [`Session`];
//! - `iam.session_expiry`: expiry (Unix ms, big-endian) + access key id → empty, so each new
//!   session removes a few expired ones and the table stays as large as the live sessions.

use serde::{Deserialize, Serialize};
use store::{ScanControl, WriteCtx};

use crate::error::{Fail, IamError};
use crate::ids::{random_text, secret_access_key, unique_id};
use crate::model::{self, Tag, View};
use crate::Iam;

pub const SESSIONS: &str = "iam.sessions";
pub const SESSION_EXPIRY: &str = "iam.session_expiry";

/// Expired sessions one new session removes.
const PURGE_PER_SESSION: usize = 8;

/// Who a session acts as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acting {
    /// AssumeRole: the role, by name, with the session's name.
    Role {
        role_name: String,
        session_name: String,
    },
    /// GetSessionToken of an IAM user.
    User { user_name: String },
    /// GetSessionToken of the account's root user.
    Root,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub access_key_id: String,
    pub secret: String,
    pub token: String,
    pub issued_ms: u64,
    pub expires_ms: u64,
    pub acting: Acting,
    /// The inline session policy passed to AssumeRole.
    pub policy: Option<String>,
    /// The managed session policies passed to AssumeRole.
    pub policy_arns: Vec<String>,
    /// Session tags (`aws:PrincipalTag/…` during the session).
    pub tags: Vec<Tag>,
}

/// What a caller asks a new session to be.
pub struct NewSession {
    pub acting: Acting,
    pub duration_ms: u64,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<Tag>,
}

fn expiry_key(expires_ms: u64, id: &str) -> Vec<u8> {
    let mut k = expires_ms.to_be_bytes().to_vec();
    k.extend_from_slice(id.as_bytes());
    k
}

impl Iam {
    /// Opens a session and returns it with its secret and token.
    pub async fn open_session(&self, new: NewSession) -> Result<Session, IamError> {
        let secret = secret_access_key()?;
        let token = random_text(
            356,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        )?;
        let mut access_key_id = unique_id("ASIA");
        access_key_id.truncate(20);
        let session = self
            .write(move |ctx| {
                let now = ctx.now_ms();
                purge_expired(ctx, now)?;
                let session = Session {
                    access_key_id,
                    secret,
                    token,
                    issued_ms: now,
                    expires_ms: now.saturating_add(new.duration_ms),
                    acting: new.acting,
                    policy: new.policy,
                    policy_arns: new.policy_arns,
                    tags: new.tags,
                };
                ctx.insert(
                    SESSIONS,
                    session.access_key_id.as_bytes(),
                    &model::encode(&session)?,
                )?;
                ctx.insert(
                    SESSION_EXPIRY,
                    &expiry_key(session.expires_ms, &session.access_key_id),
                    b"",
                )?;
                Ok(session)
            })
            .await?;
        Ok(session)
    }
}

/// Removes a few sessions that expired before `now`.
fn purge_expired(ctx: &mut WriteCtx<'_>, now: u64) -> Result<(), Fail> {
    let mut expired = Vec::new();
    ctx.scan(
        SESSION_EXPIRY,
        (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
        false,
        &mut |k: &[u8], _: &[u8]| {
            let Some(at) = k.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
                return ScanControl::Stop;
            };
            if u64::from_be_bytes(at) >= now || expired.len() >= PURGE_PER_SESSION {
                return ScanControl::Stop;
            }
            expired.push(k.to_vec());
            ScanControl::Continue
        },
    )?;
    for k in expired {
        ctx.remove(SESSION_EXPIRY, &k)?;
        if let Some(id) = k.get(8..) {
            ctx.remove(SESSIONS, id)?;
        }
    }
    Ok(())
}

pub(crate) fn session(view: &impl View, id: &str) -> Result<Option<Session>, Fail> {
    Ok(view
        .get_raw(SESSIONS, id.as_bytes())?
        .map(|b| model::decode(&b))
        .transpose()?)
}
