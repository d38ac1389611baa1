//! Demo members for a fresh database, and how to log in as them.

use std::net::SocketAddr;
use std::path::Path;

use jiff::ToSpan;
use madoguchi_core::Context;
use madoguchi_core::domain::{
    Billing, DeviceId, DeviceName, Email, Line, Os, PersonName, Plan, Product, Service,
    ServiceApplication, ServiceStatus,
};
use madoguchi_core::service::activation::{self, DeviceRequest};
use madoguchi_core::service::admin::{NewCustomer, NewLicense, create_customer, issue_codes};
use madoguchi_core::service::terms::{self, TermsKind};

use crate::Failure;

struct Demo {
    what: &'static str,
    customer: NewCustomer,
    /// The device the first serial is installed on, as the tool on it would have
    /// activated it, so that the demo shows 利用中 and 利用をやめる.
    installed_on: Option<(&'static str, Os, &'static str)>,
}

fn license(
    product: Product,
    plan: Plan,
    billing: Billing,
    expires_on: Option<jiff::civil::Date>,
) -> NewLicense {
    NewLicense {
        product,
        plan,
        billing,
        expires_on,
        version: None,
    }
}

fn demos(ctx: &Context) -> Result<Vec<Demo>, Failure> {
    let today = ctx.today();
    let in_days = |n: i64| today.checked_add(n.days());
    let person = |name: &str, email: &str| -> Result<(PersonName, Email), Failure> {
        let name = PersonName::parse(name).map_err(|e| format!("demo name: {e:?}"))?;
        let email = Email::parse(email).map_err(|e| format!("demo email: {e:?}"))?;
        Ok((name, email))
    };
    let (yamada, yamada_mail) = person("山田 太郎", "taro.yamada@example.jp")?;
    let (sato, sato_mail) = person("佐藤 花子", "hanako.sato@example.jp")?;
    let (suzuki, suzuki_mail) = person("鈴木 一郎", "ichiro.suzuki@example.jp")?;
    Ok(vec![
        Demo {
            what: "フレッツ 光ネクスト, License Plus serials, one installed",
            installed_on: Some(("demo-pc-0001", Os::Windows, "居間のPC")),
            customer: NewCustomer {
                name: yamada,
                email: yamada_mail,
                line: Line::FletsNext,
                licenses: vec![
                    license(
                        Product::SecuritySuite,
                        Plan::Standard,
                        Billing::Term,
                        Some(in_days(300)?),
                    ),
                    license(
                        Product::SecuritySuite,
                        Plan::LicensePlus,
                        Billing::Monthly,
                        None,
                    ),
                    license(
                        Product::MobileSecurity,
                        Plan::LicensePlus,
                        Billing::Term,
                        Some(in_days(200)?),
                    ),
                ],
                services: vec![
                    ServiceApplication {
                        service: Service::LineNotification,
                        status: ServiceStatus::InUse,
                    },
                    ServiceApplication {
                        service: Service::Security,
                        status: ServiceStatus::InUse,
                    },
                    // In use, so that its page offers 廃止; 登録中, 変更中 and 廃止中 come
                    // from open orders only (docs/orders.md).
                    ServiceApplication {
                        service: Service::RemoteSupport,
                        status: ServiceStatus::InUse,
                    },
                ],
            },
        },
        Demo {
            what: "collaboration line: the standard serial is 利用不可",
            installed_on: None,
            customer: NewCustomer {
                name: sato,
                email: sato_mail,
                line: Line::Collab,
                licenses: vec![
                    license(
                        Product::SecuritySuite,
                        Plan::Standard,
                        Billing::Monthly,
                        None,
                    ),
                    license(
                        Product::SecuritySuite,
                        Plan::LicensePlus,
                        Billing::Term,
                        Some(in_days(120)?),
                    ),
                ],
                services: Vec::new(),
            },
        },
        Demo {
            what: "licence expiring in 5 days",
            installed_on: None,
            customer: NewCustomer {
                name: suzuki,
                email: suzuki_mail,
                line: Line::FletsNext,
                licenses: vec![license(
                    Product::SecuritySuite,
                    Plan::Standard,
                    Billing::Term,
                    Some(in_days(5)?),
                )],
                services: Vec::new(),
            },
        },
    ])
}

/// On an empty database, creates the demo members and prints their logins (also saved,
/// owner-only, to `<data dir>/demo-logins.txt`); otherwise points at that file.
pub async fn seed_or_remind(
    ctx: &Context,
    data_dir: &Path,
    addr: SocketAddr,
) -> Result<(), Failure> {
    let saved = data_dir.join("demo-logins.txt");
    if ctx.store.has_customers().await? {
        println!("The members' portal: http://{addr}/");
        if saved.exists() {
            println!("Demo logins: {}", saved.display());
        }
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut first = None;
    let mut expiring = None;
    for demo in demos(ctx)? {
        let name = demo.customer.name.to_string();
        let email = demo.customer.email.to_string();
        let created = create_customer(ctx, demo.customer, None).await?;
        if let Some((device_id, os, device_name)) = demo.installed_on {
            let device = DeviceRequest {
                device_id: DeviceId::parse(device_id).map_err(|e| format!("demo device: {e:?}"))?,
                os,
                name: DeviceName::parse(device_name).map_err(|e| format!("demo device: {e:?}"))?,
            };
            let serial = &created.serials[0].serial;
            activation::activate(ctx, &created.customer_id, serial, device, None).await?;
        }
        // The last demo member's licence is the one about to expire.
        expiring = Some((created.serials[0].serial.to_string(), email));
        lines.push(format!(
            "  {}  access key {}  {} ({})",
            created.customer_id, created.access_key, name, demo.what
        ));
        first.get_or_insert((created.customer_id, created.access_key));
    }
    let (id, key) = first.expect("at least one demo member");
    let (serial, email) = expiring.expect("an expiring demo licence");
    let code = issue_codes(ctx, Product::SecuritySuite, 12, 1, None)
        .await?
        .codes
        .remove(0);
    let base = format!("http://{addr}");
    let text = format!(
        "Demo members (access keys are case-sensitive):\n{}\n\n\
         The members' portal: open {base}/ in a browser and log in as one of them.\n\n\
         Or through the API: log in, then use the token:\n  \
         TOKEN=$(curl -s {base}/v1/sessions -H 'content-type: application/json' \\\n    \
         -d '{{\"customer_id\":\"{id}\",\"access_key\":\"{key}\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')\n  \
         curl -s {base}/v1/usage -H \"authorization: Bearer $TOKEN\"\n\n\
         Renew the expiring licence with a demo purchase code (no login needed):\n  \
         curl -s {base}/v1/renewals -H 'content-type: application/json' -d '{{\"code\":\"{code}\",\
         \"serial\":\"{serial}\",\"email\":\"{email}\",\"consent\":{{\"terms_version\":\"{terms}\",\"agreed\":true}}}}'\n",
        lines.join("\n"),
        terms = terms::current(TermsKind::Renewal).version,
    );
    crate::write_private(&saved, &text)?;
    println!("{text}");
    println!("(saved to {})", saved.display());
    Ok(())
}
