#!/bin/sh
# Makes the test certificates of t/1xx-ssl*.t (100-year validity, RSA 2048):
#   ca.crt/ca.key          a test CA (what lua_ssl_trusted_certificate trusts)
#   server.crt/server.key  signed by the CA: CN test.com, SAN test.com, localhost, 127.0.0.1
#   other.crt/other.key    signed by the CA: CN other.com, SAN other.com (SNI specs)
#   self.crt/self.key      self-signed, CN test.com: a certificate nobody trusts
#   bad.crt                not a certificate (bad-config specs)
#   inter.crt/inter.key    an intermediate CA signed by the CA
#   chain.crt/chain.key    CN test.com signed by the intermediate; chain.crt holds the
#                          leaf then the intermediate (lua_ssl_verify_depth specs)
# Run from t/cert: sh make.sh
set -e
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days $days \
    -subj "/O=Moongate Test/CN=Moongate Test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
leaf() {
    name=$1; cn=$2; san=$3; ca=${4:-ca}
    openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr -subj "/O=Moongate Test/CN=$cn"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$san" > $name.ext
    openssl x509 -req -in $name.csr -CA $ca.crt -CAkey $ca.key -CAcreateserial -out $name.crt -days $days \
        -sha256 -extfile $name.ext
    rm -f $name.csr $name.ext
}
leaf server test.com "DNS:test.com,DNS:localhost,IP:127.0.0.1"
leaf other other.com "DNS:other.com"
openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.crt -days $days \
    -subj "/O=Moongate Test/CN=test.com" -addext "subjectAltName=DNS:test.com,DNS:localhost,IP:127.0.0.1"
printf -- '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n' > bad.crt
openssl req -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr -subj "/O=Moongate Test/CN=Moongate Test Intermediate"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > inter.ext
openssl x509 -req -in inter.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out inter.crt -days $days \
    -sha256 -extfile inter.ext
rm -f inter.csr inter.ext
leaf chain test.com "DNS:test.com,DNS:localhost,IP:127.0.0.1" inter
cat inter.crt >> chain.crt
rm -f ca.srl inter.srl
