--
-- PostgreSQL database dump
--

\restrict GM2CR6meiB2PbvxwxedoK1FRq9CyIOUujIfOd2RySZN5HwfS9qdqI26rolMEAoq

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: alembic_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);


--
-- Name: areas; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.areas (
    key character varying(64) NOT NULL,
    name character varying(200) NOT NULL,
    polygon_wkt text NOT NULL
);


--
-- Name: case_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.case_events (
    id integer NOT NULL,
    case_id integer NOT NULL,
    action character varying(32) NOT NULL,
    from_state character varying(32),
    to_state character varying(32) NOT NULL,
    actor_id integer,
    actor_role character varying(32) NOT NULL,
    at timestamp with time zone NOT NULL,
    note text
);


--
-- Name: case_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.case_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: case_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.case_events_id_seq OWNED BY public.case_events.id;


--
-- Name: case_extensions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.case_extensions (
    id integer NOT NULL,
    case_id integer NOT NULL,
    days integer NOT NULL,
    reason text NOT NULL,
    approver_id integer NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: case_extensions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.case_extensions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: case_extensions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.case_extensions_id_seq OWNED BY public.case_extensions.id;


--
-- Name: case_photos; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.case_photos (
    case_id integer NOT NULL,
    "position" integer NOT NULL,
    sha256 character varying(64) NOT NULL,
    ext character varying(8) NOT NULL
);


--
-- Name: cases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cases (
    id integer NOT NULL,
    tracking_code character varying(32) NOT NULL,
    idempotency_key character varying(128),
    request_hash character varying(64),
    case_type character varying(32) NOT NULL,
    source character varying(32) NOT NULL,
    text text NOT NULL,
    address character varying(300),
    lon double precision,
    lat double precision,
    category_key character varying(64) NOT NULL,
    proposed_category character varying(64),
    proposed_confidence double precision,
    department_key character varying(64),
    grid_key character varying(64),
    community_key character varying(64),
    person_id integer,
    state character varying(32) NOT NULL,
    submitted_at timestamp with time zone NOT NULL,
    accepted_at timestamp with time zone,
    responded_at timestamp with time zone,
    resolved_at timestamp with time zone,
    closed_at timestamp with time zone,
    updated_at timestamp with time zone NOT NULL,
    sign_due timestamp with time zone NOT NULL,
    respond_due timestamp with time zone NOT NULL,
    resolve_due timestamp with time zone NOT NULL,
    resolve_days integer NOT NULL,
    extension_days integer NOT NULL,
    escalation_level integer NOT NULL,
    reopen_count integer NOT NULL,
    rating character varying(16),
    merged_into_id integer,
    last_note text,
    category_source character varying(16) DEFAULT 'proposed'::character varying NOT NULL
);


--
-- Name: cases_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.cases_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: cases_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.cases_id_seq OWNED BY public.cases.id;


--
-- Name: categories; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.categories (
    key character varying(64) NOT NULL,
    name character varying(200) NOT NULL,
    parent_key character varying(64),
    department_key character varying(64),
    sign_hours double precision,
    respond_hours double precision,
    resolve_days integer,
    keywords json NOT NULL
);


--
-- Name: communities; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.communities (
    key character varying(64) NOT NULL,
    name character varying(200) NOT NULL
);


--
-- Name: departments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.departments (
    key character varying(64) NOT NULL,
    name character varying(200) NOT NULL
);


--
-- Name: grids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.grids (
    key character varying(64) NOT NULL,
    name character varying(200) NOT NULL,
    community_key character varying(64) NOT NULL,
    polygon_wkt text NOT NULL
);


--
-- Name: persons; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.persons (
    id integer NOT NULL,
    name character varying(100),
    phone character varying(32),
    id_number character varying(18)
);


--
-- Name: persons_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.persons_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: persons_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.persons_id_seq OWNED BY public.persons.id;


--
-- Name: proactive_access_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proactive_access_log (
    id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    "user" character varying(100) NOT NULL,
    role character varying(32) NOT NULL,
    person_id character varying(64) NOT NULL,
    action character varying(16) NOT NULL,
    purpose text NOT NULL
);


--
-- Name: proactive_access_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proactive_access_log_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proactive_access_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proactive_access_log_id_seq OWNED BY public.proactive_access_log.id;


--
-- Name: proactive_actions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proactive_actions (
    key character varying(200) NOT NULL,
    rule_id character varying(64) NOT NULL,
    action character varying(16) NOT NULL,
    "to" character varying(100) NOT NULL,
    person_id character varying(64) NOT NULL,
    grid_id character varying(64) NOT NULL,
    community_id character varying(64) NOT NULL,
    period character varying(64) NOT NULL,
    title character varying(200) NOT NULL,
    reason text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    due_at timestamp with time zone NOT NULL,
    case_id integer,
    outbox_key character varying(220),
    run_id integer
);


--
-- Name: proactive_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proactive_events (
    id character varying(64) NOT NULL,
    kind character varying(32) NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    ends_at timestamp with time zone,
    grid_ids text NOT NULL,
    community_ids text NOT NULL,
    note text NOT NULL,
    entered_by character varying(100) NOT NULL,
    entered_at timestamp with time zone NOT NULL
);


--
-- Name: proactive_notices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proactive_notices (
    id integer NOT NULL,
    delivery_key character varying(220) NOT NULL,
    person_id character varying(100) NOT NULL,
    subject character varying(200) NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: proactive_notices_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proactive_notices_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proactive_notices_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proactive_notices_id_seq OWNED BY public.proactive_notices.id;


--
-- Name: proactive_outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proactive_outbox (
    id integer NOT NULL,
    key character varying(220) NOT NULL,
    channel character varying(32) NOT NULL,
    recipient character varying(100) NOT NULL,
    subject character varying(200) NOT NULL,
    body text NOT NULL,
    status character varying(16) NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    claimed_until timestamp with time zone,
    claim_token character varying(64),
    last_error text,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone
);


--
-- Name: proactive_outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proactive_outbox_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proactive_outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proactive_outbox_id_seq OWNED BY public.proactive_outbox.id;


--
-- Name: proactive_register; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proactive_register (
    person_id character varying(64) NOT NULL,
    name character varying(100) NOT NULL,
    birth_date date NOT NULL,
    living_alone boolean NOT NULL,
    disability_level integer NOT NULL,
    chronic_conditions character varying(200) NOT NULL,
    newborn_birth_date date,
    special_care character varying(100) NOT NULL,
    grid_id character varying(64) NOT NULL,
    community_id character varying(64) NOT NULL,
    address character varying(300) NOT NULL,
    phone character varying(32) NOT NULL,
    source character varying(300) NOT NULL,
    imported_at timestamp with time zone NOT NULL
);


--
-- Name: proactive_rule_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proactive_rule_runs (
    id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    by character varying(100) NOT NULL,
    rules_name character varying(200) NOT NULL,
    rules_version character varying(64) NOT NULL,
    rules_origin character varying(300) NOT NULL,
    n_proposed integer NOT NULL,
    n_new integer NOT NULL
);


--
-- Name: proactive_rule_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proactive_rule_runs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proactive_rule_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proactive_rule_runs_id_seq OWNED BY public.proactive_rule_runs.id;


--
-- Name: tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tokens (
    token_hash character varying(64) NOT NULL,
    user_id integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: unmask_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unmask_log (
    id integer NOT NULL,
    user_id integer,
    actor_label character varying(100) NOT NULL,
    person_id integer,
    case_id integer,
    fields character varying(100) NOT NULL,
    purpose text NOT NULL,
    at timestamp with time zone NOT NULL
);


--
-- Name: unmask_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.unmask_log_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: unmask_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.unmask_log_id_seq OWNED BY public.unmask_log.id;


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id integer NOT NULL,
    username character varying(100) NOT NULL,
    password_hash character varying(200) NOT NULL,
    role character varying(32) NOT NULL,
    display_name character varying(100) NOT NULL,
    department_key character varying(64),
    grid_key character varying(64),
    person_id integer,
    active boolean NOT NULL
);


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: case_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_events ALTER COLUMN id SET DEFAULT nextval('public.case_events_id_seq'::regclass);


--
-- Name: case_extensions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_extensions ALTER COLUMN id SET DEFAULT nextval('public.case_extensions_id_seq'::regclass);


--
-- Name: cases id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases ALTER COLUMN id SET DEFAULT nextval('public.cases_id_seq'::regclass);


--
-- Name: persons id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.persons ALTER COLUMN id SET DEFAULT nextval('public.persons_id_seq'::regclass);


--
-- Name: proactive_access_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_access_log ALTER COLUMN id SET DEFAULT nextval('public.proactive_access_log_id_seq'::regclass);


--
-- Name: proactive_notices id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_notices ALTER COLUMN id SET DEFAULT nextval('public.proactive_notices_id_seq'::regclass);


--
-- Name: proactive_outbox id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_outbox ALTER COLUMN id SET DEFAULT nextval('public.proactive_outbox_id_seq'::regclass);


--
-- Name: proactive_rule_runs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_rule_runs ALTER COLUMN id SET DEFAULT nextval('public.proactive_rule_runs_id_seq'::regclass);


--
-- Name: unmask_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unmask_log ALTER COLUMN id SET DEFAULT nextval('public.unmask_log_id_seq'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Data for Name: alembic_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.alembic_version VALUES ('0003');


--
-- Data for Name: areas; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.areas VALUES ('demo_subdistrict', '演示街道', 'POLYGON ((116.340 39.995, 116.380 39.995, 116.380 40.020, 116.340 40.020, 116.340 39.995))');


--
-- Data for Name: case_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.case_events VALUES (1, 1, 'submit', NULL, 'submitted', NULL, 'resident', '2026-11-20 08:00:00+00', NULL);
INSERT INTO public.case_events VALUES (2, 2, 'submit', NULL, 'submitted', NULL, 'resident', '2026-11-20 08:00:00+00', NULL);
INSERT INTO public.case_events VALUES (3, 3, 'submit', NULL, 'submitted', NULL, 'resident', '2026-11-20 08:00:00+00', NULL);
INSERT INTO public.case_events VALUES (4, 1, 'accept', 'submitted', 'accepted', 1, 'admin', '2026-11-20 08:00:00+00', NULL);


--
-- Data for Name: case_extensions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: case_photos; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: cases; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cases VALUES (2, 'C76Y5LUXDFHD', NULL, NULL, 'request', 'web', '楼下烧烤油烟扰民，电话13912345678', NULL, 116.351, 40.004, 'environment.pollution', 'environment.pollution', 1, 'city_management', 'west-1', 'west', 1, 'submitted', '2026-11-20 08:00:00+00', NULL, NULL, NULL, NULL, '2026-11-20 08:00:00+00', '2026-11-20 10:00:00+00', '2026-11-21 08:00:00+00', '2026-12-04 16:00:00+00', 10, 0, 0, 0, NULL, NULL, NULL, 'proposed');
INSERT INTO public.cases VALUES (3, 'KSHNLNW9XWL5', NULL, NULL, 'request', 'web', '电梯经常停运，老人上下楼困难', NULL, 116.35199999999999, 40.004, 'urban.property', 'urban.property', 0.3333333333333333, 'housing', 'west-1', 'west', 1, 'submitted', '2026-11-20 08:00:00+00', NULL, NULL, NULL, NULL, '2026-11-20 08:00:00+00', '2026-11-20 10:00:00+00', '2026-11-21 08:00:00+00', '2026-12-04 16:00:00+00', 10, 0, 0, 0, NULL, NULL, NULL, 'proposed');
INSERT INTO public.cases VALUES (1, 'XYXPB3EL2Q6N', NULL, NULL, 'request', 'web', '小区北门路灯不亮，晚上很黑', NULL, 116.35, 40.004, 'urban.municipal', 'urban.municipal', 1, 'city_management', 'west-1', 'west', 1, 'accepted', '2026-11-20 08:00:00+00', '2026-11-20 08:00:00+00', NULL, NULL, NULL, '2026-11-20 08:00:00+00', '2026-11-20 10:00:00+00', '2026-11-21 08:00:00+00', '2026-11-27 16:00:00+00', 5, 0, 0, 0, NULL, NULL, NULL, 'proposed');


--
-- Data for Name: categories; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.categories VALUES ('urban', '城乡建设', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('environment', '环境保护', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('transport', '交通运输', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('public_order', '政法', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('civil_affairs', '民政', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('labour', '劳动和社会保障', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('health', '卫生计生', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('education', '教育文体', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('market', '商贸旅游', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('other', '其他', NULL, NULL, NULL, NULL, NULL, '[]');
INSERT INTO public.categories VALUES ('urban.municipal', '市政设施', 'urban', 'city_management', 2, 24, 5, '["\u8def\u706f", "\u4e95\u76d6", "\u9053\u8def", "\u8def\u9762", "\u5751", "\u4e0b\u6c34\u9053", "\u6392\u6c34", "\u79ef\u6c34", "\u62a4\u680f", "\u4eba\u884c\u9053", "\u5e02\u653f"]');
INSERT INTO public.categories VALUES ('urban.sanitation', '环境卫生与绿化', 'urban', 'city_management', 2, 24, 5, '["\u5783\u573e", "\u6e05\u8fd0", "\u4fdd\u6d01", "\u7eff\u5316", "\u6811\u6728", "\u4fee\u526a", "\u516c\u5395", "\u5395\u6240", "\u5783\u573e\u6876", "\u5206\u7c7b", "\u843d\u53f6"]');
INSERT INTO public.categories VALUES ('urban.property', '物业与住房', 'urban', 'housing', 2, 24, 10, '["\u7269\u4e1a", "\u7535\u68af", "\u6f0f\u6c34", "\u505c\u6c34", "\u505c\u7535", "\u4f9b\u6696", "\u6696\u6c14", "\u7ef4\u4fee\u57fa\u91d1", "\u4e1a\u59d4\u4f1a", "\u697c\u9053", "\u623f\u5c4b"]');
INSERT INTO public.categories VALUES ('urban.construction', '施工与违建', 'urban', 'city_management', 2, 24, 10, '["\u65bd\u5de5", "\u8fdd\u5efa", "\u8fdd\u7ae0\u5efa\u7b51", "\u79c1\u642d\u4e71\u5efa", "\u5de5\u5730", "\u591c\u95f4\u65bd\u5de5", "\u6e23\u571f", "\u88c5\u4fee"]');
INSERT INTO public.categories VALUES ('urban.safety', '安全隐患', 'urban', 'safety', 1, 2, 1, '["\u9690\u60a3", "\u71c3\u6c14", "\u7164\u6c14", "\u6f0f\u6c14", "\u6d88\u9632", "\u706b\u707e", "\u901a\u9053\u5835\u585e", "\u7535\u7ebf", "\u79c1\u62c9\u7535\u7ebf", "\u574d\u584c", "\u5371\u9669"]');
INSERT INTO public.categories VALUES ('environment.pollution', '环境污染', 'environment', 'city_management', 2, 24, 10, '["\u566a\u97f3", "\u566a\u58f0", "\u6270\u6c11", "\u6cb9\u70df", "\u5f02\u5473", "\u81ed\u5473", "\u6c61\u6c34", "\u6392\u6c61", "\u7c89\u5c18", "\u70e7\u70e4"]');
INSERT INTO public.categories VALUES ('transport.parking', '停车与交通秩序', 'transport', 'city_management', 2, 24, 5, '["\u505c\u8f66", "\u5360\u9053", "\u4e71\u505c", "\u8f66\u4f4d", "\u5145\u7535\u6869", "\u7535\u52a8\u8f66", "\u5171\u4eab\u5355\u8f66", "\u516c\u4ea4", "\u7ea2\u7eff\u706f", "\u62e5\u5835"]');
INSERT INTO public.categories VALUES ('public_order.disputes', '矛盾纠纷与治安', 'public_order', 'safety', 2, 24, 5, '["\u7ea0\u7eb7", "\u90bb\u91cc", "\u8c03\u89e3", "\u5435\u67b6", "\u6cbb\u5b89", "\u76d7\u7a83", "\u8bc8\u9a97", "\u6253\u67b6"]');
INSERT INTO public.categories VALUES ('public_order.documents', '户籍证件', 'public_order', 'service_center', 2, 4, 1, '["\u6237\u53e3", "\u6237\u7c4d", "\u8eab\u4efd\u8bc1", "\u5c45\u4f4f\u8bc1", "\u8bc1\u660e", "\u8fc1\u5165", "\u843d\u6237"]');
INSERT INTO public.categories VALUES ('civil_affairs.elderly', '养老与助残', 'civil_affairs', 'civil_affairs', 2, 24, 5, '["\u8001\u4eba", "\u517b\u8001", "\u72ec\u5c45", "\u52a9\u9910", "\u8001\u5e74", "\u6b8b\u75be", "\u8f6e\u6905", "\u9002\u8001\u5316", "\u65e5\u95f4\u7167\u6599"]');
INSERT INTO public.categories VALUES ('civil_affairs.assistance', '社会救助', 'civil_affairs', 'civil_affairs', 2, 24, 5, '["\u4f4e\u4fdd", "\u6551\u52a9", "\u56f0\u96be", "\u8865\u52a9", "\u7279\u56f0", "\u9000\u5f79\u519b\u4eba", "\u4f18\u629a", "\u4e34\u65f6\u6551\u52a9"]');
INSERT INTO public.categories VALUES ('labour.employment', '就业与社保', 'labour', 'service_center', 2, 4, 1, '["\u793e\u4fdd", "\u533b\u4fdd", "\u517b\u8001\u4fdd\u9669", "\u5c31\u4e1a", "\u5931\u4e1a", "\u62db\u8058", "\u57f9\u8bad", "\u5de5\u8d44", "\u6b20\u85aa", "\u9000\u4f11"]');
INSERT INTO public.categories VALUES ('health.public_health', '公共卫生与食品安全', 'health', 'health', 2, 24, 5, '["\u75ab\u82d7", "\u536b\u751f", "\u98df\u54c1", "\u8fc7\u671f", "\u9910\u9986", "\u868a\u866b", "\u8001\u9f20", "\u75c5\u5a92", "\u8bca\u6240", "\u836f\u5e97"]');
INSERT INTO public.categories VALUES ('education.schools', '教育与托育', 'education', 'service_center', 2, 4, 1, '["\u5b66\u6821", "\u5e7c\u513f\u56ed", "\u6258\u80b2", "\u5165\u5b66", "\u5b66\u4f4d", "\u6258\u7ba1", "\u8bfe\u540e", "\u5b66\u533a"]');
INSERT INTO public.categories VALUES ('education.culture_sports', '文化体育', 'education', 'service_center', 2, 24, 5, '["\u5065\u8eab", "\u5668\u6750", "\u5e7f\u573a\u821e", "\u6d3b\u52a8\u5ba4", "\u56fe\u4e66", "\u7403\u573a", "\u6587\u4f53"]');
INSERT INTO public.categories VALUES ('market.regulation', '市场监管', 'market', 'market', 2, 24, 10, '["\u5546\u6237", "\u4ef7\u683c", "\u6536\u8d39", "\u5047\u5192", "\u7f3a\u65a4\u5c11\u4e24", "\u6d88\u8d39", "\u9000\u6b3e", "\u83dc\u5e02\u573a", "\u8d85\u5e02"]');
INSERT INTO public.categories VALUES ('other.general', '其他事项', 'other', 'office', 2, 24, 5, '["\u5efa\u8bae", "\u610f\u89c1", "\u8868\u626c"]');


--
-- Data for Name: communities; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.communities VALUES ('west', '西区社区');
INSERT INTO public.communities VALUES ('east', '东区社区');


--
-- Data for Name: departments; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.departments VALUES ('office', '党政综合办公室');
INSERT INTO public.departments VALUES ('city_management', '城市管理办公室');
INSERT INTO public.departments VALUES ('housing', '社区建设办公室');
INSERT INTO public.departments VALUES ('safety', '平安建设办公室');
INSERT INTO public.departments VALUES ('civil_affairs', '民生保障办公室');
INSERT INTO public.departments VALUES ('service_center', '社区服务中心');
INSERT INTO public.departments VALUES ('health', '社区卫生服务中心');
INSERT INTO public.departments VALUES ('market', '市场监管所');


--
-- Data for Name: grids; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.grids VALUES ('west-1', '西区第一网格', 'west', 'POLYGON ((116.345 40.000, 116.355 40.000, 116.355 40.010, 116.345 40.010, 116.345 40.000))');
INSERT INTO public.grids VALUES ('west-2', '西区第二网格', 'west', 'POLYGON ((116.345 40.010, 116.355 40.010, 116.355 40.018, 116.345 40.018, 116.345 40.010))');
INSERT INTO public.grids VALUES ('east-1', '东区第一网格', 'east', 'POLYGON ((116.355 40.000, 116.370 40.000, 116.370 40.010, 116.355 40.010, 116.355 40.000))');


--
-- Data for Name: persons; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.persons VALUES (1, NULL, '13800138000', NULL);


--
-- Data for Name: proactive_access_log; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: proactive_actions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: proactive_events; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: proactive_notices; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: proactive_outbox; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: proactive_register; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: proactive_rule_runs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.tokens VALUES ('ae3ed434b319754b17cd39b45977b34be9ea798203b8da3107482046fbc4f473', 1, '2026-11-20 08:00:00+00', '2026-11-20 20:00:00+00');


--
-- Data for Name: unmask_log; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES (1, 'admin', '$argon2id$v=19$m=65536,t=3,p=4$TNKmsC4GVxWkT1K9eyqTBw$INm8iOQCGE4sx+20hZ7vwwUXsEx0DRERbXNCPNHvl1E', 'admin', '管理员', NULL, NULL, NULL, true);
INSERT INTO public.users VALUES (2, 'resident1', '$argon2id$v=19$m=65536,t=3,p=4$hcBjkjVpHUeJqBkTFEIjAA$GiDyvFcm8AWSCLIy+5yoJT1uD3aYOGVSUdYfwmFhyaw', 'resident', '', NULL, NULL, 1, true);


--
-- Name: case_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.case_events_id_seq', 4, true);


--
-- Name: case_extensions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.case_extensions_id_seq', 1, false);


--
-- Name: cases_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.cases_id_seq', 3, true);


--
-- Name: persons_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.persons_id_seq', 1, true);


--
-- Name: proactive_access_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.proactive_access_log_id_seq', 1, false);


--
-- Name: proactive_notices_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.proactive_notices_id_seq', 1, false);


--
-- Name: proactive_outbox_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.proactive_outbox_id_seq', 1, false);


--
-- Name: proactive_rule_runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.proactive_rule_runs_id_seq', 1, false);


--
-- Name: unmask_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.unmask_log_id_seq', 1, false);


--
-- Name: users_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.users_id_seq', 2, true);


--
-- Name: alembic_version alembic_version_pkc; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);


--
-- Name: areas areas_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.areas
    ADD CONSTRAINT areas_pkey PRIMARY KEY (key);


--
-- Name: case_events case_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_events
    ADD CONSTRAINT case_events_pkey PRIMARY KEY (id);


--
-- Name: case_extensions case_extensions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_extensions
    ADD CONSTRAINT case_extensions_pkey PRIMARY KEY (id);


--
-- Name: case_photos case_photos_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_photos
    ADD CONSTRAINT case_photos_pkey PRIMARY KEY (case_id, "position");


--
-- Name: cases cases_idempotency_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_idempotency_key_key UNIQUE (idempotency_key);


--
-- Name: cases cases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_pkey PRIMARY KEY (id);


--
-- Name: cases cases_tracking_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_tracking_code_key UNIQUE (tracking_code);


--
-- Name: categories categories_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.categories
    ADD CONSTRAINT categories_pkey PRIMARY KEY (key);


--
-- Name: communities communities_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.communities
    ADD CONSTRAINT communities_pkey PRIMARY KEY (key);


--
-- Name: departments departments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.departments
    ADD CONSTRAINT departments_pkey PRIMARY KEY (key);


--
-- Name: grids grids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grids
    ADD CONSTRAINT grids_pkey PRIMARY KEY (key);


--
-- Name: persons persons_phone_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_phone_key UNIQUE (phone);


--
-- Name: persons persons_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.persons
    ADD CONSTRAINT persons_pkey PRIMARY KEY (id);


--
-- Name: proactive_access_log proactive_access_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_access_log
    ADD CONSTRAINT proactive_access_log_pkey PRIMARY KEY (id);


--
-- Name: proactive_actions proactive_actions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_actions
    ADD CONSTRAINT proactive_actions_pkey PRIMARY KEY (key);


--
-- Name: proactive_events proactive_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_events
    ADD CONSTRAINT proactive_events_pkey PRIMARY KEY (id);


--
-- Name: proactive_notices proactive_notices_delivery_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_notices
    ADD CONSTRAINT proactive_notices_delivery_key_key UNIQUE (delivery_key);


--
-- Name: proactive_notices proactive_notices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_notices
    ADD CONSTRAINT proactive_notices_pkey PRIMARY KEY (id);


--
-- Name: proactive_outbox proactive_outbox_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_outbox
    ADD CONSTRAINT proactive_outbox_key_key UNIQUE (key);


--
-- Name: proactive_outbox proactive_outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_outbox
    ADD CONSTRAINT proactive_outbox_pkey PRIMARY KEY (id);


--
-- Name: proactive_register proactive_register_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_register
    ADD CONSTRAINT proactive_register_pkey PRIMARY KEY (person_id);


--
-- Name: proactive_rule_runs proactive_rule_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proactive_rule_runs
    ADD CONSTRAINT proactive_rule_runs_pkey PRIMARY KEY (id);


--
-- Name: tokens tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: unmask_log unmask_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unmask_log
    ADD CONSTRAINT unmask_log_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_username_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_username_key UNIQUE (username);


--
-- Name: ix_case_events_case_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_case_events_case_id ON public.case_events USING btree (case_id);


--
-- Name: ix_case_extensions_case_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_case_extensions_case_id ON public.case_extensions USING btree (case_id);


--
-- Name: ix_cases_department_key; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_cases_department_key ON public.cases USING btree (department_key);


--
-- Name: ix_cases_grid_key; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_cases_grid_key ON public.cases USING btree (grid_key);


--
-- Name: ix_cases_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_cases_state ON public.cases USING btree (state);


--
-- Name: ix_cases_submitted_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_cases_submitted_at ON public.cases USING btree (submitted_at);


--
-- Name: ix_proactive_access_log_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_access_log_at ON public.proactive_access_log USING btree (at);


--
-- Name: ix_proactive_access_log_person_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_access_log_person_id ON public.proactive_access_log USING btree (person_id);


--
-- Name: ix_proactive_actions_case_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_actions_case_id ON public.proactive_actions USING btree (case_id);


--
-- Name: ix_proactive_actions_rule_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_actions_rule_id ON public.proactive_actions USING btree (rule_id);


--
-- Name: ix_proactive_notices_person_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_notices_person_id ON public.proactive_notices USING btree (person_id);


--
-- Name: ix_proactive_outbox_next_attempt_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_outbox_next_attempt_at ON public.proactive_outbox USING btree (next_attempt_at);


--
-- Name: ix_proactive_outbox_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_outbox_status ON public.proactive_outbox USING btree (status);


--
-- Name: ix_proactive_register_community_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_register_community_id ON public.proactive_register USING btree (community_id);


--
-- Name: ix_proactive_register_grid_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_register_grid_id ON public.proactive_register USING btree (grid_id);


--
-- Name: ix_proactive_register_imported_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_proactive_register_imported_at ON public.proactive_register USING btree (imported_at);


--
-- Name: case_events case_events_actor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_events
    ADD CONSTRAINT case_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.users(id);


--
-- Name: case_events case_events_case_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_events
    ADD CONSTRAINT case_events_case_id_fkey FOREIGN KEY (case_id) REFERENCES public.cases(id);


--
-- Name: case_extensions case_extensions_approver_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_extensions
    ADD CONSTRAINT case_extensions_approver_id_fkey FOREIGN KEY (approver_id) REFERENCES public.users(id);


--
-- Name: case_extensions case_extensions_case_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_extensions
    ADD CONSTRAINT case_extensions_case_id_fkey FOREIGN KEY (case_id) REFERENCES public.cases(id);


--
-- Name: case_photos case_photos_case_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_photos
    ADD CONSTRAINT case_photos_case_id_fkey FOREIGN KEY (case_id) REFERENCES public.cases(id);


--
-- Name: cases cases_category_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_category_key_fkey FOREIGN KEY (category_key) REFERENCES public.categories(key);


--
-- Name: cases cases_community_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_community_key_fkey FOREIGN KEY (community_key) REFERENCES public.communities(key);


--
-- Name: cases cases_department_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_department_key_fkey FOREIGN KEY (department_key) REFERENCES public.departments(key);


--
-- Name: cases cases_grid_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_grid_key_fkey FOREIGN KEY (grid_key) REFERENCES public.grids(key);


--
-- Name: cases cases_merged_into_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_merged_into_id_fkey FOREIGN KEY (merged_into_id) REFERENCES public.cases(id);


--
-- Name: cases cases_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cases
    ADD CONSTRAINT cases_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id);


--
-- Name: categories categories_department_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.categories
    ADD CONSTRAINT categories_department_key_fkey FOREIGN KEY (department_key) REFERENCES public.departments(key);


--
-- Name: grids grids_community_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.grids
    ADD CONSTRAINT grids_community_key_fkey FOREIGN KEY (community_key) REFERENCES public.communities(key);


--
-- Name: tokens tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: unmask_log unmask_log_case_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unmask_log
    ADD CONSTRAINT unmask_log_case_id_fkey FOREIGN KEY (case_id) REFERENCES public.cases(id);


--
-- Name: unmask_log unmask_log_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unmask_log
    ADD CONSTRAINT unmask_log_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id);


--
-- Name: unmask_log unmask_log_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unmask_log
    ADD CONSTRAINT unmask_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: users users_department_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_department_key_fkey FOREIGN KEY (department_key) REFERENCES public.departments(key);


--
-- Name: users users_grid_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_grid_key_fkey FOREIGN KEY (grid_key) REFERENCES public.grids(key);


--
-- Name: users users_person_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_person_id_fkey FOREIGN KEY (person_id) REFERENCES public.persons(id);


--
-- PostgreSQL database dump complete
--

\unrestrict GM2CR6meiB2PbvxwxedoK1FRq9CyIOUujIfOd2RySZN5HwfS9qdqI26rolMEAoq

