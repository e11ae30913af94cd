BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0003');
CREATE TABLE areas (
	"key" VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	polygon_wkt TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "areas" VALUES('demo_subdistrict','演示街道','POLYGON ((116.340 39.995, 116.380 39.995, 116.380 40.020, 116.340 40.020, 116.340 39.995))');
CREATE TABLE case_events (
	id INTEGER NOT NULL, 
	case_id INTEGER NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	from_state VARCHAR(32), 
	to_state VARCHAR(32) NOT NULL, 
	actor_id INTEGER, 
	actor_role VARCHAR(32) NOT NULL, 
	at DATETIME NOT NULL, 
	note TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(actor_id) REFERENCES users (id), 
	FOREIGN KEY(case_id) REFERENCES cases (id)
);
INSERT INTO "case_events" VALUES(1,1,'submit',NULL,'submitted',NULL,'resident','2026-11-20 08:00:00.000000',NULL);
INSERT INTO "case_events" VALUES(2,2,'submit',NULL,'submitted',NULL,'resident','2026-11-20 08:00:00.000000',NULL);
INSERT INTO "case_events" VALUES(3,3,'submit',NULL,'submitted',NULL,'resident','2026-11-20 08:00:00.000000',NULL);
INSERT INTO "case_events" VALUES(4,1,'accept','submitted','accepted',1,'admin','2026-11-20 08:00:00.000000',NULL);
CREATE TABLE case_extensions (
	id INTEGER NOT NULL, 
	case_id INTEGER NOT NULL, 
	days INTEGER NOT NULL, 
	reason TEXT NOT NULL, 
	approver_id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(approver_id) REFERENCES users (id), 
	FOREIGN KEY(case_id) REFERENCES cases (id)
);
CREATE TABLE case_photos (
	case_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	ext VARCHAR(8) NOT NULL, 
	PRIMARY KEY (case_id, position), 
	FOREIGN KEY(case_id) REFERENCES cases (id)
);
CREATE TABLE cases (
	id INTEGER NOT NULL, 
	tracking_code VARCHAR(32) NOT NULL, 
	idempotency_key VARCHAR(128), 
	request_hash VARCHAR(64), 
	case_type VARCHAR(32) NOT NULL, 
	source VARCHAR(32) NOT NULL, 
	text TEXT NOT NULL, 
	address VARCHAR(300), 
	lon FLOAT, 
	lat FLOAT, 
	category_key VARCHAR(64) NOT NULL, 
	proposed_category VARCHAR(64), 
	proposed_confidence FLOAT, 
	department_key VARCHAR(64), 
	grid_key VARCHAR(64), 
	community_key VARCHAR(64), 
	person_id INTEGER, 
	state VARCHAR(32) NOT NULL, 
	submitted_at DATETIME NOT NULL, 
	accepted_at DATETIME, 
	responded_at DATETIME, 
	resolved_at DATETIME, 
	closed_at DATETIME, 
	updated_at DATETIME NOT NULL, 
	sign_due DATETIME NOT NULL, 
	respond_due DATETIME NOT NULL, 
	resolve_due DATETIME NOT NULL, 
	resolve_days INTEGER NOT NULL, 
	extension_days INTEGER NOT NULL, 
	escalation_level INTEGER NOT NULL, 
	reopen_count INTEGER NOT NULL, 
	rating VARCHAR(16), 
	merged_into_id INTEGER, 
	last_note TEXT, category_source VARCHAR(16) DEFAULT 'proposed' NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(category_key) REFERENCES categories ("key"), 
	FOREIGN KEY(community_key) REFERENCES communities ("key"), 
	FOREIGN KEY(department_key) REFERENCES departments ("key"), 
	FOREIGN KEY(grid_key) REFERENCES grids ("key"), 
	FOREIGN KEY(merged_into_id) REFERENCES cases (id), 
	FOREIGN KEY(person_id) REFERENCES persons (id), 
	UNIQUE (idempotency_key), 
	UNIQUE (tracking_code)
);
INSERT INTO "cases" VALUES(1,'NGKGBSNSYGCB',NULL,NULL,'request','web','小区北门路灯不亮，晚上很黑',NULL,116.35,40.004,'urban.municipal','urban.municipal',1.0,'city_management','west-1','west',1,'accepted','2026-11-20 08:00:00.000000','2026-11-20 08:00:00.000000',NULL,NULL,NULL,'2026-11-20 08:00:00.000000','2026-11-20 10:00:00.000000','2026-11-21 08:00:00.000000','2026-11-27 16:00:00.000000',5,0,0,0,NULL,NULL,NULL,'proposed');
INSERT INTO "cases" VALUES(2,'J3F726TLA7Y8',NULL,NULL,'request','web','楼下烧烤油烟扰民，电话13912345678',NULL,116.351,40.004,'environment.pollution','environment.pollution',1.0,'city_management','west-1','west',1,'submitted','2026-11-20 08:00:00.000000',NULL,NULL,NULL,NULL,'2026-11-20 08:00:00.000000','2026-11-20 10:00:00.000000','2026-11-21 08:00:00.000000','2026-12-04 16:00:00.000000',10,0,0,0,NULL,NULL,NULL,'proposed');
INSERT INTO "cases" VALUES(3,'URSE3LN2SXE4',NULL,NULL,'request','web','电梯经常停运，老人上下楼困难',NULL,1.16351999999999989655e+02,40.004,'urban.property','urban.property',3.33333333333333314829e-01,'housing','west-1','west',1,'submitted','2026-11-20 08:00:00.000000',NULL,NULL,NULL,NULL,'2026-11-20 08:00:00.000000','2026-11-20 10:00:00.000000','2026-11-21 08:00:00.000000','2026-12-04 16:00:00.000000',10,0,0,0,NULL,NULL,NULL,'proposed');
CREATE TABLE categories (
	"key" VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	parent_key VARCHAR(64), 
	department_key VARCHAR(64), 
	sign_hours FLOAT, 
	respond_hours FLOAT, 
	resolve_days INTEGER, 
	keywords JSON NOT NULL, 
	PRIMARY KEY ("key"), 
	FOREIGN KEY(department_key) REFERENCES departments ("key")
);
INSERT INTO "categories" VALUES('urban','城乡建设',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('environment','环境保护',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('transport','交通运输',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('public_order','政法',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('civil_affairs','民政',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('labour','劳动和社会保障',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('health','卫生计生',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('education','教育文体',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('market','商贸旅游',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('other','其他',NULL,NULL,NULL,NULL,NULL,'[]');
INSERT INTO "categories" VALUES('urban.municipal','市政设施','urban','city_management',2.0,24.0,5,'["\u8def\u706f", "\u4e95\u76d6", "\u9053\u8def", "\u8def\u9762", "\u5751", "\u4e0b\u6c34\u9053", "\u6392\u6c34", "\u79ef\u6c34", "\u62a4\u680f", "\u4eba\u884c\u9053", "\u5e02\u653f"]');
INSERT INTO "categories" VALUES('urban.sanitation','环境卫生与绿化','urban','city_management',2.0,24.0,5,'["\u5783\u573e", "\u6e05\u8fd0", "\u4fdd\u6d01", "\u7eff\u5316", "\u6811\u6728", "\u4fee\u526a", "\u516c\u5395", "\u5395\u6240", "\u5783\u573e\u6876", "\u5206\u7c7b", "\u843d\u53f6"]');
INSERT INTO "categories" VALUES('urban.property','物业与住房','urban','housing',2.0,24.0,10,'["\u7269\u4e1a", "\u7535\u68af", "\u6f0f\u6c34", "\u505c\u6c34", "\u505c\u7535", "\u4f9b\u6696", "\u6696\u6c14", "\u7ef4\u4fee\u57fa\u91d1", "\u4e1a\u59d4\u4f1a", "\u697c\u9053", "\u623f\u5c4b"]');
INSERT INTO "categories" VALUES('urban.construction','施工与违建','urban','city_management',2.0,24.0,10,'["\u65bd\u5de5", "\u8fdd\u5efa", "\u8fdd\u7ae0\u5efa\u7b51", "\u79c1\u642d\u4e71\u5efa", "\u5de5\u5730", "\u591c\u95f4\u65bd\u5de5", "\u6e23\u571f", "\u88c5\u4fee"]');
INSERT INTO "categories" VALUES('urban.safety','安全隐患','urban','safety',1.0,2.0,1,'["\u9690\u60a3", "\u71c3\u6c14", "\u7164\u6c14", "\u6f0f\u6c14", "\u6d88\u9632", "\u706b\u707e", "\u901a\u9053\u5835\u585e", "\u7535\u7ebf", "\u79c1\u62c9\u7535\u7ebf", "\u574d\u584c", "\u5371\u9669"]');
INSERT INTO "categories" VALUES('environment.pollution','环境污染','environment','city_management',2.0,24.0,10,'["\u566a\u97f3", "\u566a\u58f0", "\u6270\u6c11", "\u6cb9\u70df", "\u5f02\u5473", "\u81ed\u5473", "\u6c61\u6c34", "\u6392\u6c61", "\u7c89\u5c18", "\u70e7\u70e4"]');
INSERT INTO "categories" VALUES('transport.parking','停车与交通秩序','transport','city_management',2.0,24.0,5,'["\u505c\u8f66", "\u5360\u9053", "\u4e71\u505c", "\u8f66\u4f4d", "\u5145\u7535\u6869", "\u7535\u52a8\u8f66", "\u5171\u4eab\u5355\u8f66", "\u516c\u4ea4", "\u7ea2\u7eff\u706f", "\u62e5\u5835"]');
INSERT INTO "categories" VALUES('public_order.disputes','矛盾纠纷与治安','public_order','safety',2.0,24.0,5,'["\u7ea0\u7eb7", "\u90bb\u91cc", "\u8c03\u89e3", "\u5435\u67b6", "\u6cbb\u5b89", "\u76d7\u7a83", "\u8bc8\u9a97", "\u6253\u67b6"]');
INSERT INTO "categories" VALUES('public_order.documents','户籍证件','public_order','service_center',2.0,4.0,1,'["\u6237\u53e3", "\u6237\u7c4d", "\u8eab\u4efd\u8bc1", "\u5c45\u4f4f\u8bc1", "\u8bc1\u660e", "\u8fc1\u5165", "\u843d\u6237"]');
INSERT INTO "categories" VALUES('civil_affairs.elderly','养老与助残','civil_affairs','civil_affairs',2.0,24.0,5,'["\u8001\u4eba", "\u517b\u8001", "\u72ec\u5c45", "\u52a9\u9910", "\u8001\u5e74", "\u6b8b\u75be", "\u8f6e\u6905", "\u9002\u8001\u5316", "\u65e5\u95f4\u7167\u6599"]');
INSERT INTO "categories" VALUES('civil_affairs.assistance','社会救助','civil_affairs','civil_affairs',2.0,24.0,5,'["\u4f4e\u4fdd", "\u6551\u52a9", "\u56f0\u96be", "\u8865\u52a9", "\u7279\u56f0", "\u9000\u5f79\u519b\u4eba", "\u4f18\u629a", "\u4e34\u65f6\u6551\u52a9"]');
INSERT INTO "categories" VALUES('labour.employment','就业与社保','labour','service_center',2.0,4.0,1,'["\u793e\u4fdd", "\u533b\u4fdd", "\u517b\u8001\u4fdd\u9669", "\u5c31\u4e1a", "\u5931\u4e1a", "\u62db\u8058", "\u57f9\u8bad", "\u5de5\u8d44", "\u6b20\u85aa", "\u9000\u4f11"]');
INSERT INTO "categories" VALUES('health.public_health','公共卫生与食品安全','health','health',2.0,24.0,5,'["\u75ab\u82d7", "\u536b\u751f", "\u98df\u54c1", "\u8fc7\u671f", "\u9910\u9986", "\u868a\u866b", "\u8001\u9f20", "\u75c5\u5a92", "\u8bca\u6240", "\u836f\u5e97"]');
INSERT INTO "categories" VALUES('education.schools','教育与托育','education','service_center',2.0,4.0,1,'["\u5b66\u6821", "\u5e7c\u513f\u56ed", "\u6258\u80b2", "\u5165\u5b66", "\u5b66\u4f4d", "\u6258\u7ba1", "\u8bfe\u540e", "\u5b66\u533a"]');
INSERT INTO "categories" VALUES('education.culture_sports','文化体育','education','service_center',2.0,24.0,5,'["\u5065\u8eab", "\u5668\u6750", "\u5e7f\u573a\u821e", "\u6d3b\u52a8\u5ba4", "\u56fe\u4e66", "\u7403\u573a", "\u6587\u4f53"]');
INSERT INTO "categories" VALUES('market.regulation','市场监管','market','market',2.0,24.0,10,'["\u5546\u6237", "\u4ef7\u683c", "\u6536\u8d39", "\u5047\u5192", "\u7f3a\u65a4\u5c11\u4e24", "\u6d88\u8d39", "\u9000\u6b3e", "\u83dc\u5e02\u573a", "\u8d85\u5e02"]');
INSERT INTO "categories" VALUES('other.general','其他事项','other','office',2.0,24.0,5,'["\u5efa\u8bae", "\u610f\u89c1", "\u8868\u626c"]');
CREATE TABLE communities (
	"key" VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "communities" VALUES('west','西区社区');
INSERT INTO "communities" VALUES('east','东区社区');
CREATE TABLE departments (
	"key" VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "departments" VALUES('office','党政综合办公室');
INSERT INTO "departments" VALUES('city_management','城市管理办公室');
INSERT INTO "departments" VALUES('housing','社区建设办公室');
INSERT INTO "departments" VALUES('safety','平安建设办公室');
INSERT INTO "departments" VALUES('civil_affairs','民生保障办公室');
INSERT INTO "departments" VALUES('service_center','社区服务中心');
INSERT INTO "departments" VALUES('health','社区卫生服务中心');
INSERT INTO "departments" VALUES('market','市场监管所');
CREATE TABLE grids (
	"key" VARCHAR(64) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	community_key VARCHAR(64) NOT NULL, 
	polygon_wkt TEXT NOT NULL, 
	PRIMARY KEY ("key"), 
	FOREIGN KEY(community_key) REFERENCES communities ("key")
);
INSERT INTO "grids" VALUES('west-1','西区第一网格','west','POLYGON ((116.345 40.000, 116.355 40.000, 116.355 40.010, 116.345 40.010, 116.345 40.000))');
INSERT INTO "grids" VALUES('west-2','西区第二网格','west','POLYGON ((116.345 40.010, 116.355 40.010, 116.355 40.018, 116.345 40.018, 116.345 40.010))');
INSERT INTO "grids" VALUES('east-1','东区第一网格','east','POLYGON ((116.355 40.000, 116.370 40.000, 116.370 40.010, 116.355 40.010, 116.355 40.000))');
CREATE TABLE persons (
	id INTEGER NOT NULL, 
	name VARCHAR(100), 
	phone VARCHAR(32), 
	id_number VARCHAR(18), 
	PRIMARY KEY (id), 
	UNIQUE (phone)
);
INSERT INTO "persons" VALUES(1,NULL,'13800138000',NULL);
CREATE TABLE proactive_access_log (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	user VARCHAR(100) NOT NULL, 
	role VARCHAR(32) NOT NULL, 
	person_id VARCHAR(64) NOT NULL, 
	action VARCHAR(16) NOT NULL, 
	purpose TEXT NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE proactive_actions (
	"key" VARCHAR(200) NOT NULL, 
	rule_id VARCHAR(64) NOT NULL, 
	action VARCHAR(16) NOT NULL, 
	"to" VARCHAR(100) NOT NULL, 
	person_id VARCHAR(64) NOT NULL, 
	grid_id VARCHAR(64) NOT NULL, 
	community_id VARCHAR(64) NOT NULL, 
	period VARCHAR(64) NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	reason TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	due_at DATETIME NOT NULL, 
	case_id INTEGER, 
	outbox_key VARCHAR(220), 
	run_id INTEGER, 
	PRIMARY KEY ("key")
);
CREATE TABLE proactive_events (
	id VARCHAR(64) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	starts_at DATETIME NOT NULL, 
	ends_at DATETIME, 
	grid_ids TEXT NOT NULL, 
	community_ids TEXT NOT NULL, 
	note TEXT NOT NULL, 
	entered_by VARCHAR(100) NOT NULL, 
	entered_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE proactive_notices (
	id INTEGER NOT NULL, 
	delivery_key VARCHAR(220) NOT NULL, 
	person_id VARCHAR(100) NOT NULL, 
	subject VARCHAR(200) NOT NULL, 
	body TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (delivery_key)
);
CREATE TABLE proactive_outbox (
	id INTEGER NOT NULL, 
	"key" VARCHAR(220) NOT NULL, 
	channel VARCHAR(32) NOT NULL, 
	recipient VARCHAR(100) NOT NULL, 
	subject VARCHAR(200) NOT NULL, 
	body TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	claimed_until DATETIME, 
	claim_token VARCHAR(64), 
	last_error TEXT, 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE ("key")
);
CREATE TABLE proactive_register (
	person_id VARCHAR(64) NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	birth_date DATE NOT NULL, 
	living_alone BOOLEAN NOT NULL, 
	disability_level INTEGER NOT NULL, 
	chronic_conditions VARCHAR(200) NOT NULL, 
	newborn_birth_date DATE, 
	special_care VARCHAR(100) NOT NULL, 
	grid_id VARCHAR(64) NOT NULL, 
	community_id VARCHAR(64) NOT NULL, 
	address VARCHAR(300) NOT NULL, 
	phone VARCHAR(32) NOT NULL, 
	source VARCHAR(300) NOT NULL, 
	imported_at DATETIME NOT NULL, 
	PRIMARY KEY (person_id)
);
CREATE TABLE proactive_rule_runs (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	"by" VARCHAR(100) NOT NULL, 
	rules_name VARCHAR(200) NOT NULL, 
	rules_version VARCHAR(64) NOT NULL, 
	rules_origin VARCHAR(300) NOT NULL, 
	n_proposed INTEGER NOT NULL, 
	n_new INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE tokens (
	token_hash VARCHAR(64) NOT NULL, 
	user_id INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (token_hash), 
	FOREIGN KEY(user_id) REFERENCES users (id)
);
INSERT INTO "tokens" VALUES('1f8fa45a1599a6bcd30dd5d11315abb6884230aee0dc90eb1e9666be0400637c',1,'2026-11-20 08:00:00.000000','2026-11-20 20:00:00.000000');
CREATE TABLE unmask_log (
	id INTEGER NOT NULL, 
	user_id INTEGER, 
	actor_label VARCHAR(100) NOT NULL, 
	person_id INTEGER, 
	case_id INTEGER, 
	fields VARCHAR(100) NOT NULL, 
	purpose TEXT NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(case_id) REFERENCES cases (id), 
	FOREIGN KEY(person_id) REFERENCES persons (id), 
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE users (
	id INTEGER NOT NULL, 
	username VARCHAR(100) NOT NULL, 
	password_hash VARCHAR(200) NOT NULL, 
	role VARCHAR(32) NOT NULL, 
	display_name VARCHAR(100) NOT NULL, 
	department_key VARCHAR(64), 
	grid_key VARCHAR(64), 
	person_id INTEGER, 
	active BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(department_key) REFERENCES departments ("key"), 
	FOREIGN KEY(grid_key) REFERENCES grids ("key"), 
	FOREIGN KEY(person_id) REFERENCES persons (id), 
	UNIQUE (username)
);
INSERT INTO "users" VALUES(1,'admin','$argon2id$v=19$m=65536,t=3,p=4$mhtvuz89oPHhrrfUx1Hjvg$MpN1zV0t7g/T5FM/KWKNbLQFzbd89kO3K77KSRSBCaI','admin','管理员',NULL,NULL,NULL,1);
INSERT INTO "users" VALUES(2,'resident1','$argon2id$v=19$m=65536,t=3,p=4$Zdkcb748aI/I1JYY6/psIw$EcEJDzyc1rPEoKgWhIbOOa8JDl225a7BM9hr8beyzzQ','resident','',NULL,NULL,1,1);
CREATE INDEX ix_cases_department_key ON cases (department_key);
CREATE INDEX ix_cases_grid_key ON cases (grid_key);
CREATE INDEX ix_cases_state ON cases (state);
CREATE INDEX ix_cases_submitted_at ON cases (submitted_at);
CREATE INDEX ix_case_events_case_id ON case_events (case_id);
CREATE INDEX ix_case_extensions_case_id ON case_extensions (case_id);
CREATE INDEX ix_proactive_access_log_at ON proactive_access_log (at);
CREATE INDEX ix_proactive_access_log_person_id ON proactive_access_log (person_id);
CREATE INDEX ix_proactive_actions_case_id ON proactive_actions (case_id);
CREATE INDEX ix_proactive_actions_rule_id ON proactive_actions (rule_id);
CREATE INDEX ix_proactive_notices_person_id ON proactive_notices (person_id);
CREATE INDEX ix_proactive_outbox_next_attempt_at ON proactive_outbox (next_attempt_at);
CREATE INDEX ix_proactive_outbox_status ON proactive_outbox (status);
CREATE INDEX ix_proactive_register_community_id ON proactive_register (community_id);
CREATE INDEX ix_proactive_register_grid_id ON proactive_register (grid_id);
CREATE INDEX ix_proactive_register_imported_at ON proactive_register (imported_at);
COMMIT;
