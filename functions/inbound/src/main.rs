use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::runtime::telemetry::init();
    let state = inbound::State::from(&town311::adapters::aws::Adapters::from_env(inbound::TIMEOUT)?);
    tokio::task::yield_now().await;
    run(service_fn(|event| inbound::handle(&state, event))).await
}
