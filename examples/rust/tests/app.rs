//! The seed's application against an embedded Dynostack: the tables as the Terraform module
//! defines them, then every function of the application.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use seed_example::App;

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

fn attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap()
}

fn gsi(name: &str, hash: &str, range: Option<&str>) -> GlobalSecondaryIndex {
    let mut keys = vec![key(hash, KeyType::Hash)];
    keys.extend(range.map(|r| key(r, KeyType::Range)));
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .set_key_schema(Some(keys))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap()
}

/// The three tables of `terraform/variables.tf`'s default `table_configs`.
async fn create_tables(app: &App) {
    let c = &app.client;
    c.create_table()
        .table_name(&app.users)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("user_id", KeyType::Hash))
        .key_schema(key("created_at", KeyType::Range))
        .set_attribute_definitions(Some(
            ["user_id", "created_at", "email", "status"]
                .map(attr)
                .to_vec(),
        ))
        .global_secondary_indexes(gsi("email-index", "email", None))
        .global_secondary_indexes(gsi("status-index", "status", Some("created_at")))
        .send()
        .await
        .unwrap();
    c.create_table()
        .table_name(&app.sessions)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("session_id", KeyType::Hash))
        .set_attribute_definitions(Some(["session_id", "user_id"].map(attr).to_vec()))
        .global_secondary_indexes(gsi("user-sessions-index", "user_id", None))
        .send()
        .await
        .unwrap();
    c.update_time_to_live()
        .table_name(&app.sessions)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.create_table()
        .table_name(&app.analytics)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("event_date", KeyType::Hash))
        .key_schema(key("event_timestamp", KeyType::Range))
        .set_attribute_definitions(Some(
            ["event_date", "event_timestamp", "event_type", "user_id"]
                .map(attr)
                .to_vec(),
        ))
        .global_secondary_indexes(gsi(
            "event-type-index",
            "event_type",
            Some("event_timestamp"),
        ))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("user-events-index")
                .key_schema(key("event_date", KeyType::Hash))
                .key_schema(key("user_id", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_seeds_application_on_an_embedded_server() {
    let started = std::time::Instant::now();
    let server = dynostack::Server::builder()
        .in_memory()
        .start()
        .await
        .unwrap();
    eprintln!("embedded server up in {:?}", started.elapsed());
    let app = App::new(Some(server.endpoint()), "x", "x", "us-east-1", "myapp-test");
    create_tables(&app).await;

    app.create_user("123", "user@example.com", "John Doe")
        .await
        .unwrap();
    app.create_user("456", "other@example.com", "Jane Roe")
        .await
        .unwrap();
    let found = app.get_user_by_email("user@example.com").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["name"].as_s().unwrap(), "John Doe");
    assert_eq!(
        app.get_users_by_status("active", 10).await.unwrap().len(),
        2
    );
    assert_eq!(app.get_users_by_status("active", 1).await.unwrap().len(), 1);

    let sessions: Vec<(String, &str)> = (0..30).map(|i| (format!("s-{i}"), "123")).collect();
    let sessions: Vec<(&str, &str)> = sessions.iter().map(|(s, u)| (s.as_str(), *u)).collect();
    app.batch_create_sessions(&sessions, 1_700_000_000, 3600)
        .await
        .unwrap();
    let mine = app.sessions_of("123").await.unwrap();
    assert_eq!(mine.len(), 30);
    assert!(mine
        .iter()
        .all(|s| s["expires_at"].as_n().unwrap() == "1700003600"));

    for (t, user, kind) in [
        ("10:00", "123", "login"),
        ("09:00", "456", "view"),
        ("11:00", "123", "logout"),
    ] {
        app.record_event("2026-12-07", &format!("2026-12-07T{t}:00Z"), user, kind)
            .await
            .unwrap();
    }
    let day = app.events_of_day("2026-12-07").await.unwrap();
    let kinds: Vec<&str> = day
        .iter()
        .map(|e| e["event_type"].as_s().unwrap().as_str())
        .collect();
    assert_eq!(kinds, ["view", "login", "logout"]);

    server.stop().unwrap();
}

#[tokio::test]
async fn a_dropped_server_stops_and_frees_its_port() {
    let server = dynostack::Server::builder()
        .in_memory()
        .start()
        .await
        .unwrap();
    let endpoint = server.endpoint().to_string();
    let app = App::new(Some(&endpoint), "x", "x", "us-east-1", "myapp-test");
    app.client.list_tables().send().await.unwrap();
    drop(server);
    let addr = endpoint.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still listening on {addr}"
    );
}
