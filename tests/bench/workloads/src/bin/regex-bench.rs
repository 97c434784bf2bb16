//! Log scanning with several regexes: matching, captures, counting.
use regex::Regex;

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let log = workloads::log_lines(20000);
    let errors = Regex::new(r"(ERROR|WARN) 10\.0\.(\d+)\.\d+").unwrap();
    let slow = Regex::new(r#""GET (/api/v\d/\w+)[^"]*" (\d{3}) (\d{3,})ms"#).unwrap();
    let email = Regex::new(r"user=(\d+)@([a-z]+)\.org").unwrap();
    let mut acc = 0usize;
    for _ in 0..rounds {
        acc += errors.captures_iter(&log).map(|c| c[2].len()).sum::<usize>();
        acc += slow.captures_iter(&log).filter(|c| &c[2] == "500").count();
        acc += email.find_iter(&log).count();
    }
    println!("{acc}");
}
