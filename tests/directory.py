"""A real directory: OpenLDAP's slapd on free loopback ports, with a throwaway configuration, a test CA and a
small tree (people, a service account, groups).

    ou=people      alice, bob, carol (each with a password); a user locked with OpenLDAP's password policy
                   (pwdAccountLockedTime) is disabled: the server refuses their bind, the login filter skips them
    ou=services    cn=tracker, the account the app searches with
    ou=groups      tracker-staff, tracker-admins (groupOfNames)
    ou=policies    the default password policy

`ldap://` takes StartTLS and `ldaps://` TLS, with a certificate for 127.0.0.1 signed by the test CA
(`ca_file`); `other_ca_file` is a CA that signed nothing here. Only the service account reads the tree, unless
`anonymous_read` lets anyone.
"""

import datetime
import errno
import ipaddress
import shutil
import subprocess
import time
from pathlib import Path

import ldap
import ldap.modlist
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.smtp import on_free_ports

SLAPD = "/usr/sbin/slapd"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
SUFFIX = "dc=example,dc=org"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
SERVICE_DN, SERVICE_PASSWORD = f"cn=tracker,ou=services,{SUFFIX}", "service-secret"
POLICY_DN = f"cn=default,ou=policies,{SUFFIX}"
STAFF_GROUP, ADMIN_GROUP = f"cn=tracker-staff,{GROUPS}", f"cn=tracker-admins,{GROUPS}"
# How a site's filter leaves out disabled accounts: OpenLDAP's password policy marks them locked.
USER_FILTER = "(&(objectClass=inetOrgPerson)(uid=%(user)s)(!(pwdAccountLockedTime=*)))"
LOCKED_FOR_GOOD = b"000001010000Z"  # ppolicy: locked until an administrator unlocks the account

CONFIG = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
modulepath {modules}
moduleload back_mdb
moduleload ppolicy
pidfile {home}/slapd.pid
TLSCACertificateFile {home}/ca.pem
TLSCertificateFile {home}/server.pem
TLSCertificateKeyFile {home}/server-key.pem

database mdb
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {home}/data
maxsize 10485760
overlay ppolicy
ppolicy_default "{policy_dn}"
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by dn.exact="{service_dn}" read
    by self read
    by {anonymous} read
    by * none
"""


def _certificate(subject: str, issuer_key, issuer_name, key, *, ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(item) -> bytes:
    if isinstance(item, x509.Certificate):
        return item.public_bytes(serialization.Encoding.PEM)
    return item.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_certificates(home: Path) -> None:
    """A test CA, a server certificate it signs, and another CA that signs nothing."""
    ca_key, other_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _certificate("Test directory CA", ca_key, None, ca_key, ca=True)
    other = _certificate("Some other CA", other_key, None, other_key, ca=True)
    server = _certificate("127.0.0.1", ca_key, ca.subject, server_key, ca=False)
    (home / "ca.pem").write_bytes(_pem(ca))
    (home / "other-ca.pem").write_bytes(_pem(other))
    (home / "server.pem").write_bytes(_pem(server))
    (home / "server-key.pem").write_bytes(_pem(server_key))


class Directory:
    def __init__(self, home: Path, anonymous_read: bool = False):
        self.home = home
        self.uri = self.tls_uri = ""  # ldap:// and ldaps:// on the ports it listens on, once started
        self.ca_file = str(home / "ca.pem")
        self.other_ca_file = str(home / "other-ca.pem")
        self.process: subprocess.Popen | None = None
        (home / "data").mkdir(parents=True)
        write_certificates(home)
        (home / "slapd.conf").write_text(
            CONFIG.format(
                schema=SCHEMA,
                modules=MODULES,
                home=home,
                suffix=SUFFIX,
                root_dn=ROOT_DN,
                root_password=ROOT_PASSWORD,
                service_dn=SERVICE_DN,
                policy_dn=POLICY_DN,
                anonymous="anonymous" if anonymous_read else 'dn.exact="cn=nobody"',
            )
        )

    # --- the server ------------------------------------------------------------------

    def start(self) -> None:
        on_free_ports(self.listen, count=2)

    def listen(self, port: int, tls_port: int) -> None:
        """Starts slapd on these ports and waits until it answers; OSError(EADDRINUSE) if one was taken."""
        self.uri, self.tls_uri = f"ldap://127.0.0.1:{port}", f"ldaps://127.0.0.1:{tls_port}"
        log = self.home / "slapd.log"
        log.write_bytes(b"")
        self.process = subprocess.Popen(
            [
                SLAPD,
                "-f",
                str(self.home / "slapd.conf"),
                "-h",
                f"{self.uri}/ {self.tls_uri}/",
                "-d",
                "none",
            ],  # errors only
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.admin().unbind_s()
                return
            except ldap.SERVER_DOWN:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    said = log.read_text()
                    if "Address already in use" in said:
                        raise OSError(errno.EADDRINUSE, f"slapd: {said}") from None
                    raise RuntimeError(f"slapd did not start: {said}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def admin(self) -> ldap.ldapobject.LDAPObject:
        connection = ldap.initialize(self.uri)
        connection.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return connection

    # --- the tree ----------------------------------------------------------------------

    def populate(self) -> None:
        connection = self.admin()
        entries = [
            (SUFFIX, {"objectClass": [b"dcObject", b"organization"], "dc": [b"example"], "o": [b"Example"]}),
            *(
                (f"ou={unit},{SUFFIX}", {"objectClass": [b"organizationalUnit"], "ou": [unit.encode()]})
                for unit in ("people", "services", "groups", "policies")
            ),
            (  # the policy under which a locked account cannot bind; failed binds lock nothing
                POLICY_DN,
                {
                    "objectClass": [b"person", b"pwdPolicy"],
                    "cn": [b"default"],
                    "sn": [b"policy"],
                    "pwdAttribute": [b"userPassword"],
                    "pwdLockout": [b"TRUE"],
                    "pwdMaxFailure": [b"0"],
                },
            ),
            (
                SERVICE_DN,
                {
                    "objectClass": [b"organizationalRole", b"simpleSecurityObject"],
                    "cn": [b"tracker"],
                    "userPassword": [SERVICE_PASSWORD.encode()],
                },
            ),
        ]
        for dn, attributes in entries:
            connection.add_s(dn, ldap.modlist.addModlist(attributes))
        connection.unbind_s()

    def add_user(self, uid: str, password: str, given_name: str, surname: str, mail: str) -> str:
        dn = f"uid={uid},{PEOPLE}"
        attributes = {
            "objectClass": [b"inetOrgPerson"],
            "uid": [uid.encode()],
            "cn": [f"{given_name} {surname}".encode()],
            "givenName": [given_name.encode()],
            "sn": [surname.encode()],
            "mail": [mail.encode()],
            "userPassword": [password.encode()],
        }
        with self.connection() as connection:
            connection.add_s(dn, ldap.modlist.addModlist(attributes))
        return dn

    def add_group(self, dn: str, *members: str) -> None:
        cn = dn.split(",")[0].split("=")[1]
        attributes = {"objectClass": [b"groupOfNames"], "cn": [cn.encode()], "member": [m.encode() for m in members]}
        with self.connection() as connection:
            connection.add_s(dn, ldap.modlist.addModlist(attributes))

    def set(self, dn: str, attribute: str, *values: str | bytes) -> None:
        encoded = [value.encode() if isinstance(value, str) else value for value in values]
        with self.connection() as connection:
            connection.modify_s(dn, [(ldap.MOD_REPLACE, attribute, encoded or None)])

    def disable(self, dn: str) -> None:
        """Locks the account as OpenLDAP's password policy does: binds refused, the login filter skips it."""
        self.set(dn, "pwdAccountLockedTime", LOCKED_FOR_GOOD)

    def enable(self, dn: str) -> None:
        self.set(dn, "pwdAccountLockedTime")

    def rename(self, dn: str, new_rdn: str) -> str:
        """Renames the entry in place (a new uid, as when someone changes name); returns the new DN."""
        with self.connection() as connection:
            connection.rename_s(dn, new_rdn)
        return f"{new_rdn},{dn.split(',', 1)[1]}"

    def move(self, dn: str, new_parent: str) -> str:
        """Moves the entry under another branch, as when someone changes department; returns the new DN."""
        rdn = dn.split(",", 1)[0]
        with self.connection() as connection:
            connection.rename_s(dn, rdn, new_parent)
        return f"{rdn},{new_parent}"

    def delete(self, dn: str) -> None:
        with self.connection() as connection:
            connection.delete_s(dn)

    def connection(self):
        return _Connection(self)


class _Connection:
    def __init__(self, directory: Directory):
        self.directory = directory

    def __enter__(self):
        self.ldap = self.directory.admin()
        return self.ldap

    def __exit__(self, *exc):
        self.ldap.unbind_s()
