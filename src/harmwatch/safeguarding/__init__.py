"""Safeguarding and National Referral Mechanism referrals, recorded once for every room."""
