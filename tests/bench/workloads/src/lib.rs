//! Deterministic inputs for the PGO benchmarks: a log file, a JSON document
//! and a markdown text, generated from a seed so every build sees the same data.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

pub fn log_lines(n: usize) -> String {
    let mut r = Rng::new(7);
    let levels = ["INFO", "WARN", "ERROR", "DEBUG"];
    let paths = ["/api/v1/users", "/api/v1/blocks/12345", "/health", "/static/app.js", "/api/v2/tx"];
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "2026-11-20T12:{:02}:{:02}Z {} 10.0.{}.{} \"GET {}\" {} {}ms user={}@example.org\n",
            i % 60, (i * 7) % 60, r.pick(&levels), r.next() % 256, r.next() % 256,
            r.pick(&paths), [200, 404, 500, 302][(r.next() % 4) as usize], r.next() % 900, r.next() % 10000
        ));
    }
    s
}

pub fn json_doc(n: usize) -> String {
    let mut r = Rng::new(11);
    let mut s = String::from("[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"id\":{},\"name\":\"validator-{}\",\"stake\":{}.{},\"active\":{},\"tags\":[\"{}\",\"{}\"],\"meta\":{{\"era\":{},\"points\":[{},{},{}]}}}}",
            i, r.next() % 100000, r.next() % 1000000, r.next() % 100, r.next() % 2 == 0,
            r.pick(&["eu", "us", "asia"]), r.pick(&["gold", "silver", "bronze"]),
            r.next() % 5000, r.next() % 100, r.next() % 100, r.next() % 100
        ));
    }
    s.push(']');
    s
}

pub fn markdown_text(n: usize) -> String {
    let mut r = Rng::new(13);
    let words = ["block", "validator", "**stake**", "_era_", "`runtime`", "[link](https://example.org)", "parachain", "relay"];
    let mut s = String::new();
    for i in 0..n {
        match i % 6 {
            0 => s.push_str(&format!("## Section {}\n\n", i)),
            1 => s.push_str("- item one\n- item **two**\n- item `three`\n\n"),
            2 => s.push_str("```rust\nfn main() { println!(\"hi\"); }\n```\n\n"),
            3 => s.push_str("> quoted text with *emphasis*\n\n"),
            _ => {
                for _ in 0..40 {
                    s.push_str(r.pick(&words));
                    s.push(' ');
                }
                s.push_str("\n\n");
            }
        }
    }
    s
}
