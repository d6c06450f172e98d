#!/usr/bin/env bash
# Real mail servers for the mail end-to-end test, on 127.0.0.1 only:
# Postfix takes SMTP on 127.0.0.1:2525 and delivers to each local user's
# ~/Maildir; Dovecot serves those Maildirs over IMAP on 127.0.0.1:1143.
# Both also speak TLS with a certificate for 127.0.0.1 from a test CA
# made here (/etc/caredesk-test-tls/ca.pem): STARTTLS on 2525 and 1143,
# IMAP over TLS on 127.0.0.1:1993. A second CA (other-ca.pem) signs
# nothing, for the tests that must see a certificate refused.
# Users: careadmin (the NAS mailbox), helpdesk, requester; domain
# caredesk.test. Idempotent; empties the users' Maildirs each run.
#
# Exits 77 (skip) when not root, or when the packages cannot be installed
# and are not there; prints why.
set -euo pipefail

# The daemons started here outlive the script; they must not hold its
# output open (a caller reading it to the end would wait for ever), so
# they write to a log of their own, shown if they fail to start.
daemon_log=/var/log/caredesk-test-mail.log
detached() { "$@" </dev/null >>"$daemon_log" 2>&1; }

if [ "$(id -u)" -ne 0 ]; then
    echo "skip: the mail servers need root to install and start" >&2
    exit 77
fi

if ! command -v postfix >/dev/null 2>&1 || ! command -v dovecot >/dev/null 2>&1; then
    echo "== installing postfix and dovecot" >&2
    printf '%s\n' "postfix postfix/main_mailer_type select Local only" \
        "postfix postfix/mailname string caredesk.test" | debconf-set-selections
    if ! detached apt-get update -qq || ! detached env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix dovecot-imapd; then
        tail -n 20 "$daemon_log" >&2
        echo "skip: postfix and dovecot-imapd could not be installed" >&2
        exit 77
    fi
fi

for user in careadmin helpdesk requester; do
    id "$user" >/dev/null 2>&1 || useradd --create-home --shell /usr/sbin/nologin "$user"
    home=$(getent passwd "$user" | cut -d: -f6)
    rm -rf "$home/Maildir"
    install -d -o "$user" -g "$user" -m 700 "$home/Maildir" "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
done

tls=/etc/caredesk-test-tls
if [ ! -s "$tls/server.pem" ] || [ ! -s "$tls/other-ca.pem" ]; then
    install -d -m 755 "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=caredesk test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=some other CA" \
        -keyout "$tls/other-ca.key" -out "$tls/other-ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
        "extendedKeyUsage=serverAuth" > "$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 3650 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
    chmod 644 "$tls/server.key"
fi

postconf -e \
    "smtpd_tls_cert_file = $tls/server.pem" \
    "smtpd_tls_key_file = $tls/server.key" \
    "smtpd_tls_security_level = may" \
    "myhostname = mx.caredesk.test" \
    "mydomain = caredesk.test" \
    "myorigin = caredesk.test" \
    "mydestination = caredesk.test, localhost" \
    "inet_interfaces = loopback-only" \
    "inet_protocols = ipv4" \
    "mynetworks = 127.0.0.0/8" \
    "home_mailbox = Maildir/" \
    "mailbox_command =" \
    "smtpd_banner = mx.caredesk.test ESMTP" \
    "compatibility_level = 3.6"
postconf -M "127.0.0.1:2525/inet=127.0.0.1:2525 inet n - n - - smtpd"
detached newaliases
if postfix status >/dev/null 2>&1; then detached postfix reload; else detached postfix start; fi

cat > /etc/dovecot/conf.d/99-caredesk-test.conf <<'CONF'
listen = 127.0.0.1
protocols = imap
mail_location = maildir:~/Maildir
ssl = yes
ssl_cert = </etc/caredesk-test-tls/server.pem
ssl_key = </etc/caredesk-test-tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n /etc/dovecot/caredesk-test.passwd
}
userdb {
  driver = passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 1143
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 1993
    ssl = yes
  }
}
CONF
printf '%s\n' "careadmin:{PLAIN}careadmin-test" "helpdesk:{PLAIN}helpdesk-test" "requester:{PLAIN}requester-test" \
    > /etc/dovecot/caredesk-test.passwd
chmod 640 /etc/dovecot/caredesk-test.passwd
chgrp dovecot /etc/dovecot/caredesk-test.passwd 2>/dev/null || true
if doveadm service status >/dev/null 2>&1 || pgrep -x dovecot >/dev/null 2>&1; then detached doveadm reload; else detached dovecot; fi

# Wait until both answer.
for _ in $(seq 1 50); do
    if (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/1143) 2>/dev/null \
        && (exec 3<>/dev/tcp/127.0.0.1/1993) 2>/dev/null; then
        echo "mail servers ready: smtp 127.0.0.1:2525, imap 127.0.0.1:1143, imaps 127.0.0.1:1993"
        exit 0
    fi
    sleep 0.2
done
echo "postfix or dovecot did not start listening; their log ($daemon_log) ends:" >&2
tail -n 20 "$daemon_log" >&2
exit 1
