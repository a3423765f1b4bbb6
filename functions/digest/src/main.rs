use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::runtime::telemetry::init();
    let state = escalation::State::from(&town311::adapters::aws::Adapters::from_env(escalation::TIMEOUT)?);
    // The catalog load it started connects to DynamoDB now, while the first event is fetched.
    tokio::task::yield_now().await;
    run(service_fn(|event| escalation::handle(&state, event))).await
}
