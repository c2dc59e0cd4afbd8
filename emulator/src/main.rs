//! `backendless-emulator` entry point: configuration, startup line, serving, graceful shutdown.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use backendless_emulator::config::{ConfigError, Settings};
use backendless_emulator::{build_state, routes, server, StartError};

/// How often batched session last-use times are written to the database.
const SESSION_FLUSH_INTERVAL: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let config = match Settings::load(std::env::args_os()) {
        Ok(config) => config,
        // --help, --version, or a bad flag: clap prints it and picks the status.
        Err(ConfigError::Flags(error)) => error.exit(),
        Err(error) => {
            eprintln!("backendless-emulator: {error}");
            return ExitCode::from(2);
        }
    };
    let log_level = match config.log_level() {
        Ok(level) => level,
        Err(error) => {
            eprintln!("backendless-emulator: {error}");
            return ExitCode::from(2);
        }
    };
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_max_level(log_level)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("backendless-emulator: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "backendless-emulator stopped");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Settings) -> Result<(), StartError> {
    let state = build_state(&config).await?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
    let address = listener.local_addr()?;

    let flusher_state = state.clone();
    let flusher = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SESSION_FLUSH_INTERVAL);
        for tick in 0u64.. {
            ticks.tick().await;
            flusher_state.auth.flush_session_activity().await;
            // Once a minute, guests whose sessions ended or expired go.
            if tick % 12 == 11 {
                if let Err(error) = flusher_state.auth.purge_guests().await {
                    tracing::warn!(%error, "could not purge guests");
                }
            }
        }
    });

    if !config.host.is_loopback() {
        warn_off_loopback(&config, state.control_token.as_deref());
    }
    let signals = ShutdownSignals::install()?;
    tracing::info!(db = %config.db, app_id = %config.app_id, "backendless-emulator ready");
    // The one stdout line scripts wait for.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{address}")?;
    stdout.flush()?;
    drop(stdout);

    let releasing = state.clone();
    let options = config.serve_options();
    tracing::debug!(?options, "serving");
    server::serve(
        listener,
        routes::router(state.clone()),
        options,
        async move {
            signals.received().await;
            // Parked requests are answered before the server stops.
            drop(releasing.hold.stop());
        },
    )
    .await?;
    flusher.abort();
    state.auth.flush_session_activity().await;
    tracing::info!("backendless-emulator stopped");
    Ok(())
}

/// Bound beyond this machine: say so loudly on stderr, with the control token to use.
fn warn_off_loopback(config: &Settings, token: Option<&str>) {
    let token = token.unwrap_or("(none)");
    let given = if config.control_token.is_some() {
        "given with --control-token"
    } else {
        "generated for this run"
    };
    eprintln!(
        "\n!!! backendless-emulator is listening on {host}, not only on this machine: every device that can\n\
         !!! reach port {port} can register, log in and read users. It is a development tool without real\n\
         !!! security; prefer --host 127.0.0.1. The /__emulator control endpoints (reset, config, the\n\
         !!! request log with users' emails) need the control token ({given}):\n\
         !!!     X-Emulator-Token: {token}\n",
        host = config.host,
        port = config.port,
    );
    tracing::warn!(host = %config.host, "listening beyond loopback; control endpoints need the control token");
}

/// SIGINT and SIGTERM listeners, installed before the listening line is printed so that a signal sent right
/// after it is never missed (the default action would kill the process with no clean stop).
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves on the first SIGINT or SIGTERM.
    async fn received(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        tracing::info!("shutting down");
    }
}
