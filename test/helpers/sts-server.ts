// A stand-in STS on loopback: answers AssumeRole in the Query protocol's XML, as AWS's does, and
// records each call's form fields so tests can read the session policy asked for.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AssumeRoleCall {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds: string;
  Policy: string;
}

export async function startSts(): Promise<{ endpoint: string; calls: AssumeRoleCall[]; stop: () => Promise<void> }> {
  const calls: AssumeRoleCall[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body)) as unknown as AssumeRoleCall & { Action: string };
      calls.push(form);
      const expires = new Date(Date.now() + Number(form.DurationSeconds) * 1000).toISOString();
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
          `<AccessKeyId>ASIASTSVENDED${calls.length}</AccessKeyId>` +
          `<SecretAccessKey>vended-secret-${calls.length}</SecretAccessKey>` +
          `<SessionToken>vended-session-${calls.length}</SessionToken>` +
          `<Expiration>${expires}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>arn:aws:sts::000000000000:assumed-role/lakeform/${form.RoleSessionName}</Arn>` +
          `<AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>r${calls.length}</RequestId></ResponseMetadata>` +
          `</AssumeRoleResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
