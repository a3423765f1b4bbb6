//! The storage ports' contract (`town311::adapters::contract`) against the DynamoDB table on the
//! emulator: the same checks the in-memory store passes in the library's tests.

use chrono::Utc;
use std::sync::Arc;
use town311::adapters::aws::DynamoTable;
use town311::adapters::contract::{CHECKS, Ports, run};
use town311::runtime::clock::FixedClock;
use town311_tests::spawn;

#[tokio::test]
async fn the_dynamodb_table_keeps_the_contract() {
    let stack = spawn().await;
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let table = DynamoTable::new(&stack.stack.sdk, &stack.stack.config).with_clock(clock.clone());
    assert_eq!(run(&Ports::of(table, clock)).await, CHECKS.len());
}
