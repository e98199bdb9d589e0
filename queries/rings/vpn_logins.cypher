// name: vpn_logins
// description: People who log in through VPNs, with how often and from which addresses.
// params: min_logins=1, limit=100
// returns: entity_id, name, vpn_logins, logins, vpn_ips
// vpn_ips: the IP addresses of the VPN logins, sorted
MATCH (r:Record {kind: 'logins'})-[:RESOLVED_TO]->(p:Person)
WHERE r.vpn = 'true'
WITH p, count(DISTINCT r) AS vpn_logins
WHERE vpn_logins >= $min_logins
MATCH (r:Record {kind: 'logins'})-[:RESOLVED_TO]->(p)
WITH p, vpn_logins, count(DISTINCT r) AS logins
OPTIONAL MATCH (r:Record {kind: 'logins'})-[:RESOLVED_TO]->(p)
WHERE r.vpn = 'true' AND r.ip IS NOT NULL AND r.ip <> ''
WITH DISTINCT p, vpn_logins, logins, r.ip AS ip
ORDER BY ip
WITH p, vpn_logins, logins, collect(ip) AS vpn_ips
RETURN p.entity_id AS entity_id, p.name AS name, vpn_logins, logins, vpn_ips
ORDER BY vpn_logins DESC, entity_id
LIMIT $limit
