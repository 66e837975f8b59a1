\timing on
UPDATE blueteam.alert_history SET event_count = event_count + 1 WHERE fingerprint LIKE 'ins-o1-%';
