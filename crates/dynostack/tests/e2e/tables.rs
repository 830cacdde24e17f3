//! Table lifecycle and the control plane's validation.

use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, KeyType, Projection, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus, Tag,
};

use crate::harness::{attr, create_table, error_of, key, Server};

#[tokio::test(flavor = "multi_thread")]
async fn table_lifecycle_survives_restart() {
    let mut server = Server::start();
    let client = server.client();
    let created = client
        .create_table()
        .table_name("users")
        .attribute_definitions(attr("user_id", ScalarAttributeType::S))
        .attribute_definitions(attr("created_at", ScalarAttributeType::S))
        .attribute_definitions(attr("email", ScalarAttributeType::S))
        .key_schema(key("user_id", KeyType::Hash))
        .key_schema(key("created_at", KeyType::Range))
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(5)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("email-index")
                .key_schema(key("email", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .provisioned_throughput(
                    ProvisionedThroughput::builder()
                        .read_capacity_units(5)
                        .write_capacity_units(5)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .tags(
            Tag::builder()
                .key("Environment")
                .value("dev")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let desc = created.table_description().unwrap();
    assert_eq!(desc.table_status(), Some(&TableStatus::Creating));
    let arn = desc.table_arn().unwrap().to_string();
    assert!(arn.starts_with("arn:aws:dynamodb:us-east-1:"), "{arn}");
    assert!(arn.ends_with(":table/users"), "{arn}");
    assert!(desc
        .latest_stream_arn()
        .unwrap()
        .starts_with(&format!("{arn}/stream/")));

    server.restart();
    let client = server.client();
    let table = client
        .describe_table()
        .table_name("users")
        .send()
        .await
        .unwrap();
    let t = table.table().unwrap();
    assert_eq!(t.table_status(), Some(&TableStatus::Active));
    assert_eq!(t.table_arn(), Some(arn.as_str()));
    assert_eq!(t.key_schema().len(), 2);
    assert_eq!(
        t.provisioned_throughput().unwrap().read_capacity_units(),
        Some(5)
    );
    assert_eq!(
        t.global_secondary_indexes()[0].index_name(),
        Some("email-index")
    );
    assert_eq!(t.item_count(), Some(0));
    let tags = client
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), "Environment");

    let updated = client
        .update_table()
        .table_name("users")
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(10)
                .write_capacity_units(5)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated
            .table_description()
            .unwrap()
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(10)
    );

    let deleted = client
        .delete_table()
        .table_name("users")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
    let (code, message) = error_of(client.describe_table().table_name("users").send().await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        message,
        "Requested resource not found: Table: users not found"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_tables_pages() {
    let server = Server::start();
    let client = server.client();
    for name in ["t-a", "t-b", "t-c", "t-d", "t-e"] {
        create_table(&client, name, None).await;
    }
    let mut seen = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = client
            .list_tables()
            .limit(2)
            .set_exclusive_start_table_name(start.clone())
            .send()
            .await
            .unwrap();
        assert!(page.table_names().len() <= 2);
        seen.extend(page.table_names().iter().cloned());
        match page.last_evaluated_table_name() {
            Some(last) => start = Some(last.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["t-a", "t-b", "t-c", "t-d", "t-e"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_table_validation_matches_aws() {
    let server = Server::start();
    let client = server.client();
    create_table(&client, "dup", None).await;
    let (code, message) = error_of(
        client
            .create_table()
            .table_name("dup")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ResourceInUseException", "Table already exists: dup")
    );

    let (code, message) = error_of(
        client
            .create_table()
            .table_name("extra-attr")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .attribute_definitions(attr("unused", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(message, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");

    let (code, message) = error_of(
        client
            .create_table()
            .table_name("no-throughput")
            .billing_mode(BillingMode::Provisioned)
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(message, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");

    let (code, message) = error_of(
        client
            .create_table()
            .table_name("ab")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "TableName must be at least 3 characters long and at most 255 characters long"
    );
}
