\timing on
INSERT INTO blueteam.alert_history (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by, nist_controls, cui_involved, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
SELECT 'ins-'||:'tag'||'-'||g, 'rlsbench-h', 'r','r','low','t','d','x','',false,1,now(),now(),now(),now(),'{}' FROM generate_series(1,15000) g;
