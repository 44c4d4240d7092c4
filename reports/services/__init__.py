"""Services of the reports package: periods, member and org reports, exports, packs."""
