//! JSON parsing into serde_json::Value, walking and re-serialising.
fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let doc = workloads::json_doc(20000);
    let mut acc = 0u64;
    for _ in 0..rounds {
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        for item in v.as_array().unwrap() {
            if item["active"].as_bool() == Some(true) {
                acc += item["meta"]["era"].as_u64().unwrap_or(0);
            }
        }
        acc += serde_json::to_string(&v).unwrap().len() as u64;
    }
    println!("{acc}");
}
