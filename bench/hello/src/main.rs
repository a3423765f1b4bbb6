//! A bare `lambda_runtime` function that answers every event with a constant: the shortest path
//! from process start to the Runtime API, with the same runtime flavour and release profile as
//! town311's functions. `make bench` compares their cold starts with this floor.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({ "statusCode": 200, "body": "hello" }))
    }))
    .await
}
