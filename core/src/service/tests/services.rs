//! docs/services.md: サービスの申込・変更・廃止, each carried out by the back office as an order.

use super::*;
use crate::domain::catalogue::ServiceAction;
use crate::domain::{
    ApplicantName, FieldCode, OrderNo, OrderStatus, Phone, SerialStatus, Service, ServiceStatus,
};
use crate::service::applications::Applicant;
use crate::service::orders::{self, Progress};
use crate::service::services::{self, Application, Outcome};

fn application(action: ServiceAction, license_plus: Option<u8>, dry_run: bool) -> Application {
    Application {
        action,
        license_plus,
        release_devices: Vec::new(),
        consent: Consent {
            terms_version: current(TermsKind::Services).version.to_owned(),
            agreed: true,
        },
        applicant: Applicant {
            name: ApplicantName::parse("山田 太郎").expect("a name"),
            phone: Phone::parse("06-0000-0000").expect("a phone"),
            email: Some(Email::parse("taro@example.jp").expect("an address")),
            completion_email: true,
        },
        dry_run,
    }
}

/// One service of the list, owned (the list borrows from the catalogue and the view).
#[derive(Debug)]
struct Listed {
    service: Service,
    status: ServiceStatus,
    actions: Vec<ServiceAction>,
    pending_order: Option<OrderNo>,
    license_plus: Option<u8>,
}

/// The list as the member's session view gives it.
async fn listed(counter: &Counter, member: &Member) -> Result<Vec<Listed>, Error> {
    let (customer, serials) = counter
        .ctx
        .store
        .customer_with_serials(&member.id)
        .await?
        .ok_or(Error::NotFound)?;
    let catalogue = services::catalogue_now(&counter.ctx).await?;
    Ok(catalogue
        .services(&customer, &serials)
        .services
        .into_iter()
        .map(|s| Listed {
            service: s.service,
            status: s.status,
            actions: s.actions,
            pending_order: s.pending_order.cloned(),
            license_plus: s.license_plus,
        })
        .collect())
}

async fn view(counter: &Counter, member: &Member, service: Service) -> Listed {
    listed(counter, member)
        .await
        .expect("the services")
        .into_iter()
        .find(|s| s.service == service)
        .expect("every service is listed")
}

async fn accepted(
    counter: &Counter,
    member: &Member,
    service: Service,
    application: Application,
) -> OrderNo {
    match services::apply(&counter.ctx, &member.id, service, application, None).await {
        Ok(Outcome::Accepted(accepted)) => accepted.order_no,
        Ok(Outcome::Confirmation(_)) => panic!("a confirmation, not a submission"),
        Err(error) => panic!("refused: {error:?}"),
    }
}

async fn complete(counter: &Counter, order_no: &OrderNo) {
    let done = Progress {
        event_id: format!("done-{order_no}"),
        status: OrderStatus::Completed,
        reason: None,
    };
    orders::report(&counter.ctx, order_no, &done)
        .await
        .expect("completed");
}

#[tokio::test]
async fn each_service_offers_what_its_state_allows() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let listed: Vec<(Service, ServiceStatus, Vec<ServiceAction>)> = listed(&counter, &member)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.service, s.status, s.actions))
        .collect();
    use ServiceAction::*;
    use ServiceStatus::*;
    assert_eq!(
        listed,
        [
            (Service::LineNotification, InUse, vec![]),
            (Service::Security, InUse, vec![Change]),
            (Service::RemoteSupport, NotContracted, vec![Subscribe]),
            (Service::SessionPlus, NotContracted, vec![Subscribe]),
            (Service::VpnWide, NotContracted, vec![]),
        ]
    );
    for (service, action) in [
        (Service::RemoteSupport, Terminate),
        (Service::VpnWide, Subscribe),
        (Service::Security, Subscribe),
        (Service::LineNotification, Change),
    ] {
        assert_refused!(
            services::apply(
                &counter.ctx,
                &member.id,
                service,
                application(action, None, false),
                None
            )
            .await,
            Error::NotApplicable
        );
    }
}

#[tokio::test]
async fn a_subscription_is_registering_until_its_order_completes_then_in_use() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let Ok(Outcome::Confirmation(confirmation)) = services::apply(
        &counter.ctx,
        &member.id,
        Service::RemoteSupport,
        application(ServiceAction::Subscribe, None, true),
        None,
    )
    .await
    else {
        panic!("a dry run confirms");
    };
    assert_eq!(
        (confirmation.before, confirmation.after),
        (ServiceStatus::NotContracted, ServiceStatus::InUse)
    );
    assert_eq!(confirmation.monthly_fee, 550);

    let order_no = accepted(
        &counter,
        &member,
        Service::RemoteSupport,
        application(ServiceAction::Subscribe, None, false),
    )
    .await;
    let pending = view(&counter, &member, Service::RemoteSupport).await;
    assert_eq!(pending.status, ServiceStatus::Registering);
    assert!(pending.actions.is_empty());
    assert_eq!(pending.pending_order.as_ref(), Some(&order_no));
    assert_refused!(
        services::apply(
            &counter.ctx,
            &member.id,
            Service::RemoteSupport,
            application(ServiceAction::Subscribe, None, false),
            None
        )
        .await,
        Error::ApplicationPending
    );

    complete(&counter, &order_no).await;
    let done = view(&counter, &member, Service::RemoteSupport).await;
    assert_eq!(done.status, ServiceStatus::InUse);
    assert_eq!(done.actions, [ServiceAction::Terminate]);
    let to = Email::parse("taro@example.jp").unwrap();
    let mails = counter.ctx.store.mails_to(&to).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].kind, MailKind::WorksCompleted);
    assert!(
        mails[0]
            .body
            .contains("リモートサポートサービスのお申し込み")
    );

    // And its termination: 廃止中, then 未契約 again.
    let order_no = accepted(
        &counter,
        &member,
        Service::RemoteSupport,
        application(ServiceAction::Terminate, None, false),
    )
    .await;
    assert_eq!(
        view(&counter, &member, Service::RemoteSupport).await.status,
        ServiceStatus::Terminating
    );
    complete(&counter, &order_no).await;
    assert_eq!(
        view(&counter, &member, Service::RemoteSupport).await.status,
        ServiceStatus::NotContracted
    );
}

/// docs/services.md: ライセンスプラス serials appear when the order completes; removing one on a
/// device needs the member's confirmation naming the device, and takes it off the device.
#[tokio::test]
async fn license_plus_serials_come_and_go_with_their_orders() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let order_no = accepted(
        &counter,
        &member,
        Service::Security,
        application(ServiceAction::Change, Some(2), false),
    )
    .await;
    assert_eq!(
        view(&counter, &member, Service::Security).await.status,
        ServiceStatus::Changing
    );
    assert_eq!(
        view(&counter, &member, Service::Security)
            .await
            .license_plus,
        Some(0),
        "no serial before the order completes"
    );
    complete(&counter, &order_no).await;
    let (_, serials) = counter
        .ctx
        .store
        .customer_with_serials(&member.id)
        .await
        .unwrap()
        .unwrap();
    let extra: Vec<_> = serials
        .iter()
        .filter(|s| s.plan == Plan::LicensePlus)
        .collect();
    assert_eq!(extra.len(), 2);
    assert!(
        extra
            .iter()
            .all(|s| s.status == SerialStatus::AwaitingInstall)
    );

    // One of them on a PC; down to zero names that PC, and needs the member's say-so.
    let on_pc = extra[0].serial.clone();
    crate::service::activation::activate(
        &counter.ctx,
        &member.id,
        &on_pc,
        device("pc-1", Os::Windows, "リビングのPC"),
        None,
    )
    .await
    .unwrap();
    let Ok(Outcome::Confirmation(confirmation)) = services::apply(
        &counter.ctx,
        &member.id,
        Service::Security,
        application(ServiceAction::Change, Some(0), true),
        None,
    )
    .await
    else {
        panic!("a dry run confirms");
    };
    assert_eq!(confirmation.devices_losing_protection.len(), 1);
    assert_eq!(confirmation.devices_losing_protection[0].serial, on_pc);
    assert_eq!(
        confirmation.devices_losing_protection[0]
            .device
            .name
            .as_str(),
        "リビングのPC"
    );
    match services::apply(
        &counter.ctx,
        &member.id,
        Service::Security,
        application(ServiceAction::Change, Some(0), false),
        None,
    )
    .await
    {
        Err(Error::Validation(errors)) => {
            assert_eq!(errors.0[0].field, "options.release_devices");
            assert_eq!(errors.0[0].code, FieldCode::ConfirmationRequired);
        }
        _ => panic!("a device lost without the member's say-so"),
    }
    let wrong_device = Application {
        release_devices: vec![crate::domain::DeviceId::parse("pc-2").unwrap()],
        ..application(ServiceAction::Change, Some(0), false)
    };
    assert_refused!(
        services::apply(
            &counter.ctx,
            &member.id,
            Service::Security,
            wrong_device,
            None
        )
        .await,
        Error::Validation(_)
    );
    let confirmed = Application {
        release_devices: vec![crate::domain::DeviceId::parse("pc-1").unwrap()],
        ..application(ServiceAction::Change, Some(0), false)
    };
    let order_no = accepted(&counter, &member, Service::Security, confirmed).await;
    // Until it completes, a serial it removes goes on no new device.
    let other = extra[1].serial.clone();
    assert_refused!(
        crate::service::activation::activate(
            &counter.ctx,
            &member.id,
            &other,
            device("pc-9", Os::Windows, "別のPC"),
            None,
        )
        .await,
        Error::SerialUnavailable
    );
    complete(&counter, &order_no).await;
    let (_, serials) = counter
        .ctx
        .store
        .customer_with_serials(&member.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        serials
            .iter()
            .filter(|s| s.plan == Plan::LicensePlus)
            .all(|s| s.status == SerialStatus::Unavailable && s.device.is_none())
    );
    let history = counter.history(&member, &on_pc).await;
    assert_eq!(
        history.last().map(|e| e.kind),
        Some(crate::domain::EventKind::Deactivated)
    );
    assert_refused!(
        services::apply(
            &counter.ctx,
            &member.id,
            Service::Security,
            application(ServiceAction::Change, Some(0), false),
            None
        )
        .await,
        Error::NoChange
    );
}

/// docs/usage.md ※: with several applications of one service, one in use wins even while an
/// order for another of them is open.
#[tokio::test]
async fn one_application_in_use_wins_over_an_order_on_another() {
    use crate::domain::ServiceApplication;
    use crate::store::{Expect, Write};
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let mut customer = counter.stored(&member).await;
    let version = customer.version;
    customer.services.extend([
        ServiceApplication {
            service: Service::SessionPlus,
            status: ServiceStatus::InUse,
        },
        ServiceApplication {
            service: Service::SessionPlus,
            status: ServiceStatus::InUse,
        },
    ]);
    counter
        .ctx
        .store
        .commit(vec![Write::put_customer(
            customer,
            Expect::Version(version),
        )])
        .await
        .unwrap();
    let order_no = accepted(
        &counter,
        &member,
        Service::SessionPlus,
        application(ServiceAction::Terminate, None, false),
    )
    .await;
    assert_eq!(
        view(&counter, &member, Service::SessionPlus).await.status,
        ServiceStatus::InUse,
        "the other application is in use"
    );
    complete(&counter, &order_no).await;
    let stored = counter.stored(&member).await;
    let left = stored
        .services
        .iter()
        .filter(|a| a.service == Service::SessionPlus)
        .count();
    assert_eq!(left, 1, "the termination ended one application, not both");
}
