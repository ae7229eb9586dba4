"""paysync: Silae payroll journal entries (OD de paie) into MyUnisoft, exactly once."""

__version__ = "0.1.0"
