// name: shared_ips
// description: IP addresses several people log in from (offices and carrier NATs show as hubs).
// params: min_members=2, max_members=20, limit=100
// returns: ip, members, entity_ids, names, hub
// hub: true when more than max_members share it; its lists then hold the first max_members
MATCH (e)-[:USES_IP]->(ip:IP)
WHERE e:Person OR e:Company
WITH DISTINCT ip, e
ORDER BY e.entity_id
WITH ip, collect(e.entity_id) AS ids, collect(e.name) AS users
WHERE size(ids) >= $min_members
RETURN ip.value AS ip, size(ids) AS members, ids[..$max_members] AS entity_ids,
       users[..$max_members] AS names, size(ids) > $max_members AS hub
ORDER BY hub, members DESC, ip
LIMIT $limit
