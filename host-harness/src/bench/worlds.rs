//! The worlds and meetings the benchmarks run on.

use crate::bindings::overview::{GuestDetails, Period, Query, ScheduleRequest, Scope, SortKey};
use crate::bindings::time_zones::LocalDateTime;
use crate::erp::{ErpWorld, Group, LicenceName, RecordingSettings, UserSpec};
use crate::perfex::{ClientSpec, ContactSpec, Display, NotifyRule, PerfexWorld, Settings, StaffSpec};

/// A world of `n` users, all in group `g<n>` and the first ten in `g10`.
pub fn erp_world(n: usize) -> ErpWorld {
    let users: Vec<UserSpec> = (0..n)
        .map(|i| UserSpec {
            id: format!("u{i}"),
            name: format!("User {i}"),
            email: format!("u{i}@bench.example"),
            avatar: None,
            external: false,
        })
        .collect();
    let ids = |k: usize| users.iter().take(k).map(|u| u.id.clone()).collect::<Vec<_>>();
    ErpWorld {
        licence: LicenceName::X20,
        // Copies kept, so that the benchmarks reach `recording-archived` too.
        recordings: RecordingSettings { keep_copies: true, ..RecordingSettings::default() },
        groups: if n == 10 {
            vec![Group { id: "g10".into(), name: "Ten".into(), members: ids(10) }]
        } else {
            vec![
                Group { id: "g10".into(), name: "Ten".into(), members: ids(10) },
                Group { id: format!("g{n}"), name: "Everyone".into(), members: ids(n) },
            ]
        },
        users,
        cases: Vec::new(),
        activities: Vec::new(),
        index: Default::default(),
    }
}

/// A CRM with `clients` clients (one contact each) and ten support staff.
pub fn perfex_world(clients: usize) -> PerfexWorld {
    PerfexWorld {
        staff: (0..10)
            .map(|i| StaffSpec {
                id: format!("s{i}"),
                name: format!("Staff {i}"),
                email: String::new(),
                departments: vec!["Support".into()],
                roles: Vec::new(),
                active: true,
            })
            .collect(),
        clients: (0..clients)
            .map(|i| ClientSpec {
                id: format!("c{i}"),
                company: format!("Client {i}"),
                assigned_staff: Vec::new(),
                contacts: vec![ContactSpec {
                    id: format!("k{i}"),
                    name: format!("Contact {i}"),
                    email: String::new(),
                }],
            })
            .collect(),
        settings: Settings {
            notify: vec![NotifyRule::AllStaff],
            display: Display::NewTab,
            expiry_secs: 3600,
        },
    }
}

/// The `i`-th of the meetings the benchmarks schedule: hosted by `u0`..`u9` in turn, one
/// guest each, spread over the hours, days and months of 2027.
pub(super) fn seeded_meeting(i: usize, zone: &str) -> ScheduleRequest {
    ScheduleRequest {
        actor: "u0".into(),
        host: format!("u{}", i % 10),
        guest: GuestDetails { name: format!("Guest {i}"), email: format!("g{i}@x.example"), phone: None },
        meeting_type: "Intake".into(),
        details: format!("Meeting {i}"),
        description: String::new(),
        zone: zone.into(),
        slots: vec![LocalDateTime {
            year: 2027,
            month: 1 + (i % 12) as u8,
            day: 1 + (i % 28) as u8,
            hour: 8 + (i % 9) as u8,
            minute: 0,
        }],
        duration_mins: 30,
    }
}

/// What `u0` sees first in the overview: everyone's upcoming meetings, the latest
/// first, a page of 20.
pub(super) fn everyone_page() -> Query {
    Query {
        viewer: "u0".into(),
        scope: Scope::Everyone,
        period: Period::Upcoming,
        sort: SortKey::Date,
        descending: true,
        page: 0,
        page_size: 20,
    }
}
