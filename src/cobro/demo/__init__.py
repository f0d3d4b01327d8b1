"""Made-up but realistic accounts for the demo and the benchmarks, the same for the same seed."""
