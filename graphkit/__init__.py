"""graphkit: find DPRK remote-IT-worker rings in hiring and payroll data."""
