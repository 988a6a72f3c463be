//! Sample generators shared by the distribution tests (generated, never committed in bulk).

use std::fmt::Write as _;

/// Seed 2's payloads in MQTT envelopes, one message per vehicle.
pub fn seed2_envelopes(vehicles: u32, minutes: u32) -> String {
    let mut s = String::with_capacity((vehicles * minutes) as usize * 190);
    for m in 0..minutes {
        for v in 0..vehicles {
            let vin = 100_001 + v;
            let ts = 1_667_264_400_000u64 + m as u64 * 60_000 + (v % 60_000) as u64;
            let lat = 35.0 + (v % 1000) as f64 / 1000.0;
            let lon = 139.0 + (v % 997) as f64 / 1000.0;
            writeln!(
                s,
                r#"{{"topic":"vehicles/TEST-{vin}/location","clientid":"TEST-{vin}","timestamp":{ts},"payload":{{"list":[{{"vin":"TEST-{vin}","timestamp":"2022-11-01T10:{:02}:00+09:00","lat":{lat},"lon":{lon}}}]}}}}"#,
                m % 60
            )
            .unwrap();
        }
    }
    s
}
