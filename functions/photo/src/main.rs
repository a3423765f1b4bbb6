use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    town311::runtime::telemetry::init();
    let state =
        photo::lambda::State::from(&town311::adapters::aws::Adapters::from_env(photo::lambda::TIMEOUT)?);
    run(service_fn(|event| photo::lambda::handle(&state, event))).await
}
