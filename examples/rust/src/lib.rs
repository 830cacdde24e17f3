//! The seed's application in Rust: the users, sessions and analytics tables the Terraform
//! module creates (`terraform/variables.tf`), used as the seed's Python example uses them —
//! create a user, find users by email and by status through the GSIs, write sessions in a
//! batch with a TTL, record and query a day's analytics events.
//!
//! Nothing here knows about Dynostack: [`App::from_env`] reads `AWS_ENDPOINT_URL` and the
//! usual credential variables, so the same code runs against AWS.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;

pub type Item = HashMap<String, AttributeValue>;
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The application's tables, by the names the module gives them (`myapp-ENV-…`).
pub struct App {
    pub client: Client,
    pub users: String,
    pub sessions: String,
    pub analytics: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

impl App {
    /// A client for `endpoint` (None: the SDK's default, AWS) with these keys, for the tables
    /// of `prefix` (`myapp-prod`).
    pub fn new(endpoint: Option<&str>, key: &str, secret: &str, region: &str, prefix: &str) -> App {
        let mut config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(key, secret, None, None, "environment"));
        if let Some(e) = endpoint {
            config = config.endpoint_url(e);
        }
        App {
            client: Client::from_conf(config.build()),
            users: format!("{prefix}-users"),
            sessions: format!("{prefix}-sessions"),
            analytics: format!("{prefix}-analytics"),
        }
    }

    /// From the environment: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION (default us-east-1), TABLE_PREFIX (default myapp-prod).
    pub fn from_env() -> Result<App, Error> {
        let var = |name: &str| std::env::var(name).ok();
        let key = var("AWS_ACCESS_KEY_ID").ok_or("AWS_ACCESS_KEY_ID is not set")?;
        let secret = var("AWS_SECRET_ACCESS_KEY").ok_or("AWS_SECRET_ACCESS_KEY is not set")?;
        let region = var("AWS_REGION").unwrap_or_else(|| "us-east-1".into());
        let prefix = var("TABLE_PREFIX").unwrap_or_else(|| "myapp-prod".into());
        Ok(App::new(
            var("AWS_ENDPOINT_URL").as_deref(),
            &key,
            &secret,
            &region,
            &prefix,
        ))
    }

    /// The seed's `create_user`.
    pub async fn create_user(&self, user_id: &str, email: &str, name: &str) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.users)
            .item("user_id", s(user_id))
            .item("created_at", s("2024-01-01T00:00:00Z"))
            .item("email", s(email))
            .item("name", s(name))
            .item("status", s("active"))
            .send()
            .await?;
        Ok(())
    }

    /// The seed's `get_user_by_email`: a query of the email-index GSI.
    pub async fn get_user_by_email(&self, email: &str) -> Result<Vec<Item>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.users)
            .index_name("email-index")
            .key_condition_expression("email = :e")
            .expression_attribute_values(":e", s(email))
            .send()
            .await?;
        Ok(out.items.unwrap_or_default())
    }

    /// The seed's `get_users_by_status`: the status-index GSI, at most `limit`.
    pub async fn get_users_by_status(&self, status: &str, limit: i32) -> Result<Vec<Item>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.users)
            .index_name("status-index")
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":s", s(status))
            .limit(limit)
            .send()
            .await?;
        Ok(out.items.unwrap_or_default())
    }

    /// The seed's `batch_create_sessions`, each session expiring `ttl_seconds` after `now`
    /// (the sessions table's TTL attribute is `expires_at`). Unprocessed items are retried.
    pub async fn batch_create_sessions(
        &self,
        sessions: &[(&str, &str)],
        now: i64,
        ttl_seconds: i64,
    ) -> Result<(), Error> {
        for chunk in sessions.chunks(25) {
            let mut writes: Vec<WriteRequest> = Vec::new();
            for (session_id, user_id) in chunk {
                let put = PutRequest::builder()
                    .item("session_id", s(session_id))
                    .item("user_id", s(user_id))
                    .item(
                        "expires_at",
                        AttributeValue::N((now + ttl_seconds).to_string()),
                    )
                    .build()?;
                writes.push(WriteRequest::builder().put_request(put).build());
            }
            let mut pending = HashMap::from([(self.sessions.clone(), writes)]);
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await?;
                pending = out.unprocessed_items.unwrap_or_default();
                pending.retain(|_, w| !w.is_empty());
            }
        }
        Ok(())
    }

    /// The sessions of a user (the user-sessions-index GSI).
    pub async fn sessions_of(&self, user_id: &str) -> Result<Vec<Item>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.sessions)
            .index_name("user-sessions-index")
            .key_condition_expression("user_id = :u")
            .expression_attribute_values(":u", s(user_id))
            .send()
            .await?;
        Ok(out.items.unwrap_or_default())
    }

    /// Records an analytics event of `date` (the table's hash key) at `timestamp` (its range
    /// key, an ISO 8601 time).
    pub async fn record_event(
        &self,
        date: &str,
        timestamp: &str,
        user_id: &str,
        kind: &str,
    ) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.analytics)
            .item("event_date", s(date))
            .item("event_timestamp", s(timestamp))
            .item("user_id", s(user_id))
            .item("event_type", s(kind))
            .send()
            .await?;
        Ok(())
    }

    /// A day's events, in time order.
    pub async fn events_of_day(&self, date: &str) -> Result<Vec<Item>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.analytics)
            .key_condition_expression("event_date = :d")
            .expression_attribute_values(":d", s(date))
            .send()
            .await?;
        Ok(out.items.unwrap_or_default())
    }
}
