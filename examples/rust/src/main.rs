//! The seed's usage examples against the tables of TABLE_PREFIX (default myapp-prod), at
//! AWS_ENDPOINT_URL (Dynostack) or AWS; prints what they found as JSON.
//!
//!     AWS_ENDPOINT_URL=http://127.0.0.1:8000 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
//!       cargo run -p seed-example

use seed_example::{App, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = App::from_env()?;
    app.create_user("123", "user@example.com", "John Doe")
        .await?;
    let users = app.get_user_by_email("user@example.com").await?;
    let active = app.get_users_by_status("active", 10).await?;
    let names = |items: &[seed_example::Item]| -> Vec<String> {
        items
            .iter()
            .filter_map(|i| i.get("name").and_then(|n| n.as_s().ok()).cloned())
            .collect()
    };
    let out = serde_json::json!({ "users": names(&users), "active_users": names(&active) });
    println!("{out}");
    Ok(())
}
