//! madoguchi in one local process: every router over one redb file, the outbox delivered
//! as `.eml` files (or over SMTP), orders carried out by a simulated back office, demo
//! members on first start, the members' web portal at `/`, and once a minute a sweep of what has ended (sessions, idempotency records, closed
//! per-client counts, old reminders).

mod back_office;
mod metrics;
mod portal;
mod seed;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use madoguchi_core::config::{self, ReminderDays, TableName};
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::mail::{DEFAULT_FROM, EmlDirectory, MailSender, SmtpSender, configured_sender};
use madoguchi_core::secret::SealingKey;
use madoguchi_core::service::outbox::dispatch_pending;
use madoguchi_core::service::reminders;
use madoguchi_core::store::Store;
use madoguchi_core::store::dynamodb::DynamoStore;
use madoguchi_core::store::redb::RedbStore;
use madoguchi_core::support::{self, Support};
use madoguchi_core::{Context, Settings, SystemClock};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Redb,
    Dynamodb,
}

/// Serves madoguchi on one address over an embedded database (README.md#running-locally).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "MADOGUCHI_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Holds the database file, `admin-token`, `sealing-key` and delivered mail (`mail/`).
    #[arg(long, env = "MADOGUCHI_DATA_DIR", default_value = ".madoguchi")]
    data_dir: PathBuf,
    /// The operators' bearer token; random and saved to `<data dir>/admin-token` when unset.
    #[arg(long, env = "MADOGUCHI_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// The secret stored answers are sealed with (at least 32 characters); random and saved
    /// to `<data dir>/sealing-key` when unset.
    #[arg(long, env = "MADOGUCHI_SEALING_KEY", hide_env_values = true)]
    sealing_key: Option<String>,
    /// On an empty database, create demo members and print how to log in.
    #[arg(long, env = "MADOGUCHI_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    seed_demo: bool,
    /// Storage engine.
    #[arg(long, env = "MADOGUCHI_STORE", value_enum, default_value_t = StoreKind::Redb)]
    store: StoreKind,
    /// Days before expiry that get a reminder mail (docs/reminders.md).
    #[arg(long, env = "MADOGUCHI_REMINDER_DAYS", default_value = "30,14,7,1")]
    reminder_days: ReminderDays,
    /// DynamoDB table name (with `--store dynamodb`).
    #[arg(long, env = "MADOGUCHI_TABLE", default_value = "madoguchi")]
    table: TableName,
    /// Deliver mail over SMTP instead of as `.eml` files: `smtp://host:port` in plain text
    /// (a local sink), `smtps://…` or `smtp://…?tls=required` otherwise.
    #[arg(long, env = "MADOGUCHI_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of every mail.
    #[arg(long, env = "MADOGUCHI_MAIL_FROM", default_value = DEFAULT_FROM)]
    mail_from: String,
    /// Minutes the simulated back office takes to carry out an order (工事, a step of a
    /// reader's shipment); 0 at once; `off` leaves every order to
    /// `POST /admin/v1/orders/{order_no}/events`.
    #[arg(long, env = "MADOGUCHI_WORKS_MINUTES", default_value = "1")]
    works_minutes: back_office::Works,
    /// The e-money payment page of a reader order, with `{order_no}` and `{amount}`.
    #[arg(long, env = "MADOGUCHI_PAYMENT_URL", default_value = madoguchi_core::settings::DEFAULT_PAYMENT_URL)]
    payment_url: config::PaymentUrl,
    /// The portal the reminder mails link to; this process's own address when unset.
    #[arg(long, env = "MADOGUCHI_PORTAL_URL")]
    portal_url: Option<String>,
    #[command(flatten)]
    support: SupportArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// This process's portal as a browser on this machine reaches it.
fn portal_of(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        addr.ip().to_string()
    };
    if addr.is_ipv6() && !addr.ip().is_unspecified() {
        format!("http://[{host}]:{}", addr.port())
    } else {
        format!("http://{host}:{}", addr.port())
    }
}

/// The desk members are sent to, in the portal and in every mail (docs/support.md); each
/// one unset is the demo's.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Support desk (docs/support.md)")]
struct SupportArgs {
    /// The service's name in Japanese: the mails' sender name and subject prefix.
    #[arg(long, env = support::env::SERVICE_NAME, default_value = support::demo::SERVICE_NAME)]
    support_service_name: String,
    /// The desk members call.
    #[arg(long, env = support::env::DESK_NAME, default_value = support::demo::DESK_NAME)]
    support_desk_name: String,
    #[arg(long, env = support::env::PHONE, default_value = support::demo::PHONE)]
    support_phone: String,
    #[arg(long, env = support::env::HOURS, default_value = support::demo::HOURS)]
    support_hours: String,
    /// The help pages.
    #[arg(long, env = support::env::URL, default_value = support::demo::URL)]
    support_url: String,
    /// Where a purchase code (購入コード) is bought.
    #[arg(long, env = support::env::PURCHASE_URL, default_value = support::demo::PURCHASE_URL)]
    support_purchase_url: String,
    /// Where a newer version of the program is downloaded.
    #[arg(long, env = support::env::UPGRADE_URL, default_value = support::demo::UPGRADE_URL)]
    support_upgrade_url: String,
}

impl SupportArgs {
    /// The desk, each setting checked as the functions check theirs.
    fn desk(&self) -> Result<Support, Failure> {
        let value = |name: &str| -> Option<String> {
            let set = match name {
                support::env::SERVICE_NAME => &self.support_service_name,
                support::env::DESK_NAME => &self.support_desk_name,
                support::env::PHONE => &self.support_phone,
                support::env::HOURS => &self.support_hours,
                support::env::URL => &self.support_url,
                support::env::PURCHASE_URL => &self.support_purchase_url,
                support::env::UPGRADE_URL => &self.support_upgrade_url,
                _ => return None,
            };
            Some(set.clone())
        };
        Ok(Support::from_settings(value)?)
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the DynamoDB table (`--table`) with its index, TTL and stream, as the cloud's
    /// template does, then exit: for the Lambda functions, which never create it.
    CreateTable,
}

/// mimalloc rather than glibc's malloc: a request allocates and frees many small values on
/// two threads, where glibc's arenas cost about a tenth of a read's CPU
/// (docs/performance.md). The Lambda functions keep the system allocator: their
/// bootstraps have no room left under their size target.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() {
    // Logs go to stderr; stdout is for the human instructions printed at start.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let done = match args.command {
        Some(Command::CreateTable) => create_table(&args.table).await,
        None => run(args).await,
    };
    if let Err(error) = done {
        tracing::error!(%error, "local-dev stopped");
        std::process::exit(1);
    }
}

/// How often the redb file is swept of what has ended (DynamoDB's TTL does it there).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The store local-dev serves from: the redb file in the data dir (returned twice: as
/// itself, to be swept), or a DynamoDB table (created with its index when missing) through
/// the standard AWS variables.
async fn open_store(args: &Args) -> Result<(Arc<dyn Store>, Option<RedbStore>), Failure> {
    match args.store {
        StoreKind::Redb => {
            let db_path = args.data_dir.join("madoguchi.redb");
            let store =
                RedbStore::open(&db_path).map_err(|e| format!("{}: {e}", db_path.display()))?;
            Ok((Arc::new(store.clone()), Some(store)))
        }
        StoreKind::Dynamodb => {
            let store = DynamoStore::configured(args.table.as_str()).await?;
            store
                .ensure_table()
                .await
                .map_err(|e| format!("DynamoDB table {}: {e}", args.table))?;
            tracing::info!(table = %args.table, "serving from DynamoDB");
            Ok((Arc::new(store), None))
        }
    }
}

async fn create_table(table: &TableName) -> Result<(), Failure> {
    let store = DynamoStore::configured(table.as_str()).await?;
    store
        .ensure_table()
        .await
        .map_err(|e| format!("DynamoDB table {table}: {e}"))?;
    tracing::info!(%table, "the table is ready");
    Ok(())
}

async fn run(args: Args) -> Result<(), Failure> {
    std::fs::create_dir_all(&args.data_dir)?;
    let support = args.support.desk()?;
    let sender = mail_sender(&args, &support)?;
    let (store, redb) = open_store(&args).await?;
    let settings = Settings {
        reminder_thresholds: args.reminder_days.0.clone(),
        payment_url: args.payment_url.0.clone(),
        support,
        portal_url: Some(
            args.portal_url
                .clone()
                .filter(|url| !url.trim().is_empty())
                .unwrap_or_else(|| portal_of(args.addr)),
        ),
        ..Settings::default()
    };
    // Before anything is counted: the seed, the dispatcher and the first request.
    let metrics = metrics::install()?;
    let ctx = Context::new(store, Arc::new(SystemClock), settings);
    let admin_token = admin_token(args.admin_token, &args.data_dir)?;
    let sealing_key = sealing_key(args.sealing_key, &args.data_dir)?;

    madoguchi_core::service::admin::seed_providers(&ctx).await?;
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let local = listener.local_addr()?;
    if args.seed_demo {
        seed::seed_or_remind(&ctx, &args.data_dir, local).await?;
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let dispatcher = tokio::spawn(deliver_mail(ctx.clone(), sender, stop_rx.clone()));
    let reminder_job = tokio::spawn(remind_daily(ctx.clone(), stop_rx.clone()));
    let hand_overs = back_office::HandOverFiles::new(&args.data_dir)?;
    let back_office = tokio::spawn(back_office::run(
        ctx.clone(),
        hand_overs,
        args.works_minutes,
        stop_rx.clone(),
    ));
    let sweeper = redb.map(|redb| tokio::spawn(keep_swept(redb, ctx.clone(), stop_rx)));

    let state = AppState::new(ctx, Some(admin_token.into()), sealing_key);
    let router = app(all_operations(), state.clone())
        .merge(metrics::route(metrics, state))
        .merge(portal::routes());
    tracing::info!(address = %local, data_dir = %args.data_dir.display(), "madoguchi is ready at http://{local}");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;

    let _ = stop_tx.send(true);
    reminder_job.await?;
    back_office.await?;
    if let Some(sweeper) = sweeper {
        sweeper.await?;
    }
    dispatcher.await??;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// docs/operators.md: the given token, or the one saved in the data dir, or a new random one saved
/// with mode 0600. Only the file's path is ever printed.
fn admin_token(given: Option<String>, data_dir: &Path) -> Result<String, Failure> {
    if let Some(token) = config::admin_token(given)? {
        tracing::info!("admin token taken from MADOGUCHI_ADMIN_TOKEN");
        return Ok(token.as_str().to_owned());
    }
    let path = data_dir.join("admin-token");
    let token = match std::fs::read_to_string(&path) {
        Ok(saved) if !saved.trim().is_empty() => saved.trim().to_owned(),
        _ => {
            let token = madoguchi_core::secret::random_secret();
            write_private(&path, &token)?;
            token
        }
    };
    tracing::info!(path = %path.display(), "admin token is in this file");
    Ok(token)
}

/// docs/api.md: the given secret, or the one saved in the data dir, or a new random one saved
/// with mode 0600, so that answers kept for retries can still be opened after a restart.
fn sealing_key(given: Option<String>, data_dir: &Path) -> Result<SealingKey, Failure> {
    if let Some(key) = config::sealing_key(given)? {
        return Ok(key);
    }
    let path = data_dir.join("sealing-key");
    let secret = match std::fs::read_to_string(&path) {
        Ok(saved) if !saved.trim().is_empty() => saved.trim().to_owned(),
        _ => {
            let secret = SealingKey::new_secret();
            write_private(&path, &secret)?;
            secret
        }
    };
    SealingKey::from_secret(&secret)
        .map_err(|reason| format!("{}: {reason}", path.display()).into())
}

/// Writes a file only its owner can read.
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// docs/mail.md, README.md#running-locally: over SMTP when `MADOGUCHI_SMTP_URL` is set, else `.eml` files into
/// `<data dir>/mail/`.
fn mail_sender(args: &Args, support: &Support) -> Result<Box<dyn MailSender>, Failure> {
    let from = support.sender(&configured_sender(&args.mail_from)?);
    match args.smtp_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => Ok(Box::new(SmtpSender::configured(url, from)?)),
        _ => {
            let dir = args.data_dir.join("mail");
            let sender = EmlDirectory::new(&dir)?.from_address(from);
            tracing::info!(dir = %dir.display(), "mail is delivered as .eml files");
            Ok(Box::new(sender))
        }
    }
}

/// Delivers the mails due once a second until told to stop; a last round runs on the way
/// out.
async fn deliver_mail(
    ctx: Context,
    sender: Box<dyn MailSender>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), Failure> {
    for round in 0u64.. {
        if let Err(error) = dispatch_pending(&ctx, sender.as_ref(), 100).await {
            tracing::warn!(%error, "outbox delivery round failed");
        }
        // docs/operations.md#metrics: every minute, as the cloud's sweep every five.
        if round % 60 == 0 {
            madoguchi_core::service::admin::measure(&ctx).await;
        }
        if *stop.borrow() {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(())
}

/// docs/reminders.md: the reminder job, daily at 09:00 Japan time, until told to stop.
async fn remind_daily(ctx: Context, mut stop: watch::Receiver<bool>) {
    loop {
        let now = ctx.clock.now();
        let next = reminders::next_run_after(now);
        let wait = Duration::try_from(next.duration_since(now)).unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {
                if let Err(error) = reminders::run_daily(&ctx, ctx.today()).await {
                    tracing::warn!(%error, "expiry reminder run failed");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Removes what has ended from the redb file (DynamoDB does it by TTL), every
/// `SWEEP_EVERY`, until told to stop; logs what each sweep removed (counts only).
async fn keep_swept(store: RedbStore, ctx: Context, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = stop.changed() => return,
        }
        match store.sweep(&ctx.settings, ctx.clock.now()).await {
            Ok(swept) if swept.total() > 0 => tracing::info!(
                sessions = swept.sessions,
                idempotency = swept.idempotency,
                client_counts = swept.client_counts,
                reminders = swept.reminders,
                "swept what has ended"
            ),
            Ok(_) => tracing::debug!("swept: nothing had ended"),
            Err(error) => tracing::warn!(%error, "sweep failed"),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => tracing::info!("SIGINT: stopping"),
        _ = terminate => tracing::info!("SIGTERM: stopping"),
    }
}
